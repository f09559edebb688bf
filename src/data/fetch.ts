import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { extract } from 'tar';
import { type DownloadProgress, downloadToFile, removeDownload } from './download.js';
import { Cifar10FetchError } from './errors.js';
import { CIFAR10_FILES } from './parse.js';
import { CIFAR10_RECORD_BYTES } from './types.js';

/** The files a complete data directory holds: the six batches and the class names. */
export const CIFAR10_DIR_FILES: readonly string[] = [...CIFAR10_FILES, 'batches.meta.txt'];

export interface FetchCifar10Options {
  /** The binary archive (cifar-10-binary.tar.gz or a mirror of it). */
  url: string;
  /** Its md5, hex. */
  md5: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Lines for people: what is being done and why. */
  log?: (line: string) => void;
  /** Injected for tests; default the global fetch. */
  fetchImpl?: typeof fetch;
  /** Aborts a download that receives nothing for this long. Default 60 s. */
  stallTimeoutMs?: number;
}

export interface EnsureCifar10Result {
  dir: string;
  /** True when this call downloaded it; false when it was already there. */
  fetched: boolean;
}

/** The files of the layout that `dir` lacks (all of them when it does not exist). */
export async function missingCifar10Files(dir: string): Promise<string[]> {
  const present = new Set(await readdir(dir).catch(() => []));
  return CIFAR10_DIR_FILES.filter((file) => !present.has(file));
}

/**
 * Makes sure `dir` holds CIFAR-10 in the binary layout, downloading, checking and extracting the
 * archive when it does not: what `grade`, `calibrate` and `serve` call before loading the data.
 */
export async function ensureCifar10(
  dir: string,
  options: FetchCifar10Options,
): Promise<EnsureCifar10Result> {
  if ((await missingCifar10Files(dir)).length === 0) return { dir, fetched: false };
  options.log?.(`CIFAR-10 is not in ${dir} yet; fetching it once.`);
  await fetchCifar10(dir, options);
  return { dir, fetched: true };
}

/**
 * Downloads the archive beside `dir` (resuming an interrupted download), checks its md5,
 * extracts it into a temporary directory beside `dir`, checks the files, and only then renames
 * that directory to `dir`: a failure at any step leaves no half-filled data directory behind.
 */
export async function fetchCifar10(dir: string, options: FetchCifar10Options): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    throw new Cifar10FetchError(`cannot create ${parent}: ${describe(error)}`);
  }
  await checkTargetIsFree(target);
  const archive = path.join(parent, `.${base}.tar.gz.part`);
  try {
    await downloadToFile({
      url: options.url,
      file: archive,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
    });
  } catch (error) {
    throw withHandPlacement(error, target, options);
  }

  const md5 = await md5OfFile(archive);
  if (md5 !== options.md5.toLowerCase()) {
    await removeDownload(archive);
    throw new Cifar10FetchError(
      `the archive from ${options.url} has md5 ${md5}, not the expected ${options.md5.toLowerCase()}; ` +
        'the download was deleted. Run the command again; if it fails the same way, the URL does ' +
        'not serve cifar-10-binary.tar.gz (or the md5 given for a mirror is wrong)',
    );
  }
  options.log?.('Checked the archive (md5); extracting.');

  const staging = path.join(parent, `.${base}.extract-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(staging);
    await extractArchive(archive, staging);
    const folder = await findDataFolder(staging);
    await placeAtomically(folder, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await removeDownload(archive);
  options.log?.(`CIFAR-10 is in ${target}.`);
}

/** `dir` may be absent or empty (it is replaced); a directory with other files is the user's. */
async function checkTargetIsFree(target: string): Promise<void> {
  const entries = await readdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new Cifar10FetchError(`cannot read ${target}: ${describe(error)}`);
  });
  if (entries.length > 0) {
    const missing = await missingCifar10Files(target);
    throw new Cifar10FetchError(
      `${target} exists but is not a complete CIFAR-10 directory (it lacks ${missing.join(', ')}); ` +
        'move it aside or choose another directory, then fetch again',
    );
  }
}

async function extractArchive(archive: string, into: string): Promise<void> {
  try {
    // Regular files and folders only; tar refuses absolute and "../" paths by default.
    await extract({
      file: archive,
      cwd: into,
      strict: true,
      filter: (_path, entry) =>
        'type' in entry && (entry.type === 'File' || entry.type === 'Directory'),
    });
  } catch (error) {
    throw new Cifar10FetchError(`cannot extract the archive: ${describe(error)}`);
  }
}

/** The extracted folder holding the layout: cifar-10-batches-bin/ in the official archive. */
async function findDataFolder(staging: string): Promise<string> {
  const candidates = [
    staging,
    ...(await readdir(staging, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(staging, entry.name)),
  ];
  for (const candidate of candidates) {
    if ((await missingCifar10Files(candidate)).length > 0) continue;
    for (const file of CIFAR10_FILES) {
      const { size } = await stat(path.join(candidate, file));
      if (size === 0 || size % CIFAR10_RECORD_BYTES !== 0) {
        throw new Cifar10FetchError(
          `the archive's ${file} has ${size} bytes, not a whole number of ${CIFAR10_RECORD_BYTES}-byte records`,
        );
      }
    }
    return candidate;
  }
  throw new Cifar10FetchError(
    `the archive does not hold the CIFAR-10 binary layout (${CIFAR10_DIR_FILES.join(', ')})`,
  );
}

/** One rename, so readers see either no directory or a complete one. */
async function placeAtomically(folder: string, target: string): Promise<void> {
  // An empty directory (made by hand, or by a mount) is replaced.
  await rmdir(target).catch(() => undefined);
  try {
    await rename(folder, target);
  } catch (error) {
    // Another process finished first: its copy is as good as ours.
    if ((await missingCifar10Files(target)).length === 0) return;
    throw new Cifar10FetchError(`cannot move the data into ${target}: ${describe(error)}`);
  }
}

async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Download failures end with how to do it by hand, for machines that cannot reach the URL. */
function withHandPlacement(
  error: unknown,
  target: string,
  options: FetchCifar10Options,
): Cifar10FetchError {
  const reason = describe(error);
  return new Cifar10FetchError(
    `${reason}.\n` +
      `Without network access, place the data by hand: on another machine download ${options.url} ` +
      `(md5 ${options.md5}), extract it with "tar -xzf cifar-10-binary.tar.gz", and copy the files ` +
      `of its cifar-10-batches-bin folder (${CIFAR10_DIR_FILES.join(', ')}) into ${target}; ` +
      'or pass --data DIR (or set AUTOGRADER_CIFAR10_DIR) to where they already are. ' +
      'AUTOGRADER_CIFAR10_URL and AUTOGRADER_CIFAR10_MD5 name a mirror.',
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
