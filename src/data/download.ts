import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Cifar10FetchError } from './errors.js';

/** How far a download has come; `total` is unknown when the server sends no length. */
export interface DownloadProgress {
  /** Bytes in the file so far, including those kept from an earlier, interrupted attempt. */
  received: number;
  total?: number;
  /** Bytes that were already in the file when this attempt started (a resumed download). */
  resumedFrom: number;
}

export interface DownloadOptions {
  url: string;
  /** The partial (then complete) file; a sidecar `<file>.json` remembers what it is a part of. */
  file: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Aborts a download that receives nothing for this long. Default 60 s. */
  stallTimeoutMs?: number;
  /** Injected for tests; default the global fetch (redirects followed). */
  fetchImpl?: typeof fetch;
}

/** What the sidecar records, so a partial file is resumed only against the same archive. */
interface PartialRecord {
  url: string;
  /** The server's ETag, else Last-Modified: sent as If-Range, so a changed file restarts. */
  validator?: string;
}

/**
 * Downloads `url` into `file`, resuming a partial file left by an interrupted attempt with an
 * HTTP Range request (a server that ignores it sends the whole file, which restarts the download).
 * Leaves a partial file behind on failure, for the next attempt to resume; throws
 * Cifar10FetchError with the reason.
 */
export async function downloadToFile(options: DownloadOptions): Promise<void> {
  const { url, file } = options;
  const fetchImpl = options.fetchImpl ?? fetch;
  const sidecar = `${file}.json`;
  const partial = await readPartial(file, sidecar, url);

  const controller = new AbortController();
  const stallMs = options.stallTimeoutMs ?? 60_000;
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const armStallTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, stallMs);
  };

  const headers: Record<string, string> = {};
  if (partial.bytes > 0) {
    headers.range = `bytes=${partial.bytes}-`;
    if (partial.validator !== undefined) headers['if-range'] = partial.validator;
  }
  let response: Response;
  armStallTimer();
  try {
    response = await fetchImpl(url, { headers, redirect: 'follow', signal: controller.signal });
  } catch (error) {
    clearTimeout(timer);
    throw new Cifar10FetchError(
      stalled
        ? `no response from ${url} in ${Math.round(stallMs / 1000)} s`
        : `cannot reach ${url} (${networkReason(error)})`,
    );
  }

  let start: number;
  let total: number | undefined;
  if (response.status === 206 && partial.bytes > 0) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range?.start !== partial.bytes) {
      // A range we did not ask for: start over rather than splice bytes from elsewhere.
      clearTimeout(timer);
      await response.body?.cancel();
      await rm(file, { force: true });
      return downloadToFile(options);
    }
    start = partial.bytes;
    total = range.total;
  } else if (response.status === 416 && partial.bytes > 0) {
    // The partial file is already whole (or longer than the archive): the checksum decides.
    clearTimeout(timer);
    await response.body?.cancel();
    return;
  } else if (response.ok) {
    start = 0;
    const length = Number(response.headers.get('content-length'));
    total = Number.isSafeInteger(length) && length > 0 ? length : undefined;
  } else {
    clearTimeout(timer);
    await response.body?.cancel();
    throw new Cifar10FetchError(
      `${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    );
  }
  const validator =
    response.headers.get('etag') ?? response.headers.get('last-modified') ?? undefined;
  const record: PartialRecord = { url, ...(validator ? { validator } : {}) };
  await writeFile(sidecar, `${JSON.stringify(record)}\n`);

  const handle = await open(file, start === 0 ? 'w' : 'a');
  let received = start;
  options.onProgress?.({ received, total, resumedFrom: start });
  try {
    if (!response.body) throw new Error('the response has no body');
    for await (const chunk of response.body) {
      armStallTimer();
      await handle.write(chunk);
      received += chunk.byteLength;
      options.onProgress?.({ received, total, resumedFrom: start });
    }
  } catch (error) {
    const why = stalled
      ? `nothing received for ${Math.round(stallMs / 1000)} s`
      : networkReason(error);
    throw new Cifar10FetchError(
      `the download from ${url} stopped after ${received}${total ? ` of ${total}` : ''} bytes (${why}); run the command again to resume it`,
    );
  } finally {
    clearTimeout(timer);
    await handle.close();
  }
  if (total !== undefined && received < total) {
    throw new Cifar10FetchError(
      `the download from ${url} ended after ${received} of ${total} bytes (the connection closed early); run the command again to resume it`,
    );
  }
}

/** Removes a download's file and its sidecar. */
export async function removeDownload(file: string): Promise<void> {
  await Promise.all([rm(file, { force: true }), rm(`${file}.json`, { force: true })]);
}

/** The partial file's size and validator, or nothing to resume when it belongs to another URL. */
async function readPartial(
  file: string,
  sidecar: string,
  url: string,
): Promise<{ bytes: number; validator?: string }> {
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  if (size === 0) return { bytes: 0 };
  const record = await readFile(sidecar, 'utf8')
    .then((text) => JSON.parse(text) as Partial<PartialRecord>)
    .catch(() => undefined);
  if (record?.url !== url) {
    await removeDownload(file);
    return { bytes: 0 };
  }
  return {
    bytes: size,
    ...(typeof record.validator === 'string' ? { validator: record.validator } : {}),
  };
}

/** "bytes 100-199/200" → start 100, total 200. */
function parseContentRange(value: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const total = match[3] === '*' ? undefined : Number(match[3]);
  return { start: Number(match[1]), ...(total !== undefined ? { total } : {}) };
}

/** fetch hides the socket error under `cause`; that is the part a person can act on. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}
