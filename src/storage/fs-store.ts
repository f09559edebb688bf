import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidKeyError, ObjectTooLargeError, StorageError } from './errors.js';
import { keyProblem, TEMP_PREFIX } from './key-grammar.js';
import { isErrno, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';
import type { ObjectStore } from './types.js';

/**
 * An ObjectStore in a directory: key "a/b.json" is file "<root>/a/b.json". Writes go to a
 * temporary file first, so a reader never sees half an object. There are no versions: a
 * versionId is ignored.
 */
export class FileSystemObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file behind a key, refusing keys outside the one key grammar (see key-grammar.ts). */
  pathOf(key: string): string {
    const problem = keyProblem(key);
    if (problem !== undefined) throw new InvalidKeyError(key, problem);
    return path.join(this.root, ...key.split('/'));
  }

  async get(key: string, options: { maxBytes?: number } = {}): Promise<Uint8Array | undefined> {
    const file = this.pathOf(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'EISDIR') || isErrno(error, 'ENOTDIR')) {
        return undefined;
      }
      throw new StorageError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const { size } = await handle.stat();
      const { maxBytes } = options;
      if (maxBytes !== undefined && size > maxBytes)
        throw new ObjectTooLargeError(key, maxBytes, size);
      // Read at most one byte past the cap, in case the file grew after stat.
      const limit = maxBytes === undefined ? size : Math.min(size, maxBytes) + 1;
      const buffer = new Uint8Array(limit);
      let filled = 0;
      while (filled < limit) {
        const { bytesRead } = await handle.read(buffer, filled, limit - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (maxBytes !== undefined && filled > maxBytes) throw new ObjectTooLargeError(key, maxBytes);
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async put(
    key: string,
    body: Uint8Array | string,
    options: { contentType?: string; ifNoneMatch?: boolean } = {},
  ): Promise<boolean> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeFile(temp, body, { flag: 'wx', mode: PRIVATE_FILE_MODE });
      if (options.ifNoneMatch) {
        // link() fails when the target exists, atomically: the conditional put of the fs.
        try {
          await link(temp, file);
        } catch (error) {
          if (isErrno(error, 'EEXIST')) return false;
          throw error;
        }
        return true;
      }
      await rename(temp, file);
      return true;
    } catch (error) {
      if (error instanceof InvalidKeyError) throw error;
      throw new StorageError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
    } finally {
      await rm(temp, { force: true });
    }
  }

  async list(prefix: string): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw new StorageError(`cannot list ${this.root}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const keys: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith(TEMP_PREFIX)) continue;
      const relative = path.relative(this.root, path.join(entry.parentPath, entry.name));
      const key = relative.split(path.sep).join('/');
      if (key.startsWith(prefix)) keys.push(key);
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return;
      throw new StorageError(`cannot delete ${key}: ${(error as Error).message}`, { cause: error });
    }
  }
}
