import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from './errors.js';
import { isErrno, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';

export interface FileLockOptions {
  /** A lock file older than this was left by a process that died holding it: taken over. */
  staleMs: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` holding `lock`, a file created exclusively: a read-modify-write under it is atomic
 * across processes sharing the folder, not only within one.
 */
export async function withFileLock<T>(
  lock: string,
  options: FileLockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const sleep = options.sleep ?? wait;
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(path.dirname(lock), { recursive: true, mode: PRIVATE_DIR_MODE });
      await (await open(lock, 'wx', PRIVATE_FILE_MODE)).close();
      break;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) {
        throw new StorageError(`cannot lock ${lock}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    try {
      const { mtimeMs } = await stat(lock);
      if (Date.now() - mtimeMs > options.staleMs) await rm(lock, { force: true });
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) {
        throw new StorageError(`cannot inspect ${lock}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    await sleep(Math.min(100, 2 + attempt * 5));
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
