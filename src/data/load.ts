import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from '../storage/types.js';
import { Cifar10DataError } from './errors.js';
import { type Cifar10LoadOptions, encodeCifar10Files, readCifar10Files } from './parse.js';
import type { Cifar10Dataset } from './types.js';

/** CIFAR-10's class names, in label order, as batches.meta.txt lists them. */
const CIFAR10_CLASS_NAMES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** A CIFAR-10 file is 30,730,000 bytes; anything far larger is not one. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Loads the standard binary layout from a directory, checking every file. */
export function loadCifar10FromDir(
  dir: string,
  options: Cifar10LoadOptions = {},
): Promise<Cifar10Dataset> {
  return readCifar10Files(
    async (file) => {
      const filePath = path.join(dir, file);
      try {
        return await readFile(filePath);
      } catch (error) {
        if (isNodeError(error) && error.code === 'ENOENT') return undefined;
        const reason = error instanceof Error ? error.message : String(error);
        throw new Cifar10DataError(`${file}: cannot read ${filePath}: ${reason}`, file);
      }
    },
    dir,
    options,
  );
}

/** Loads the standard binary layout from an object store, under `prefix` (with or without a trailing "/"). */
export function loadCifar10FromStore(
  store: ObjectStore,
  prefix: string,
  options: Cifar10LoadOptions = {},
): Promise<Cifar10Dataset> {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return readCifar10Files(
    (file) => store.get(`${base}${file}`, { maxBytes: MAX_FILE_BYTES }),
    base === '' ? 'the object store root' : base,
    options,
  );
}

/** Writes a dataset in the standard binary layout, e.g. a synthetic one for tests. */
export async function writeCifar10Dir(dir: string, dataset: Cifar10Dataset): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files = encodeCifar10Files(dataset);
  await Promise.all([
    ...[...files].map(([file, bytes]) => writeFile(path.join(dir, file), bytes)),
    writeFile(path.join(dir, 'batches.meta.txt'), `${CIFAR10_CLASS_NAMES.join('\n')}\n`),
  ]);
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
