import { open } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { CliIo } from './types.js';

/**
 * Reads a file the user named, at most one byte past `maxBytes`: the caller then refuses an
 * oversized file without this process ever holding more. Reads sequentially, so a device
 * (/dev/zero reports size 0) or a FIFO is capped like a file. A file that cannot be read is a
 * usage problem (exit 2).
 */
export async function readCappedFile(
  file: string,
  io: CliIo,
  maxBytes: number,
): Promise<Uint8Array> {
  const resolved = path.resolve(io.cwd, file);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(resolved, 'r');
    const info = await handle.stat();
    if (info.isDirectory()) throw new UsageError(`cannot read ${file}: it is a directory`);
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
      ENOENT: 'no such file',
      EACCES: 'permission denied',
      EISDIR: 'it is a directory',
    };
    const reason =
      (code && reasons[code]) ?? (error instanceof Error ? error.message : String(error));
    throw new UsageError(`cannot read ${file}: ${reason}`);
  } finally {
    await handle?.close();
  }
}
