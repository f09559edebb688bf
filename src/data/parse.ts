import { createHash } from 'node:crypto';
import { Cifar10DataError } from './errors.js';
import {
  CIFAR10_CLASSES,
  CIFAR10_IMAGE_BYTES,
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  type Cifar10Dataset,
  type Cifar10Split,
} from './types.js';

/** Limits on how many records of each split to keep, e.g. for a quick local grade. */
export interface Cifar10LoadOptions {
  limitTrain?: number;
  limitTest?: number;
}

/** The files of the standard binary layout, in the fixed order the checksum is taken over. */
export const CIFAR10_FILES: readonly string[] = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];

/** Fetches one file's bytes by name, or undefined when it does not exist. */
export type Cifar10FileReader = (file: string) => Promise<Uint8Array | undefined>;

/**
 * Reads and checks the six files through `readFile`, then assembles the dataset.
 * `where` names the directory or object prefix in error messages.
 */
export async function readCifar10Files(
  readFile: Cifar10FileReader,
  where: string,
  options: Cifar10LoadOptions = {},
): Promise<Cifar10Dataset> {
  const limitTrain = checkLimit(options.limitTrain, 'limitTrain');
  const limitTest = checkLimit(options.limitTest, 'limitTest');
  // Read in parallel, check in the fixed order, so a problem is reported the same way every time.
  const reads = await Promise.allSettled(CIFAR10_FILES.map((file) => readFile(file)));
  const contents = reads.map((read, i) => {
    const file = CIFAR10_FILES[i] as string;
    if (read.status === 'rejected') throw read.reason;
    if (read.value === undefined) {
      throw new Cifar10DataError(`${file} is missing from ${where}`, file);
    }
    checkRecords(file, read.value);
    return read.value;
  });
  const trainFiles = contents.slice(0, CIFAR10_TRAIN_FILES.length);
  const testFile = contents.slice(CIFAR10_TRAIN_FILES.length);
  const train = assembleSplit(trainFiles, limitTrain);
  const test = assembleSplit(testFile, limitTest);
  if (train.count === 0) {
    throw new Cifar10DataError(
      `the training files in ${where} hold no records`,
      'data_batch_1.bin',
    );
  }
  if (test.count === 0) {
    throw new Cifar10DataError(
      `${CIFAR10_TEST_FILE} in ${where} holds no records`,
      CIFAR10_TEST_FILE,
    );
  }
  return { train, test, checksum: sha256Over(contents), source: where };
}

function checkLimit(limit: number | undefined, name: string): number {
  if (limit === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${limit}`);
  }
  return limit;
}

/** Whole records only, and every label a class index. */
function checkRecords(file: string, bytes: Uint8Array): void {
  const trailing = bytes.length % CIFAR10_RECORD_BYTES;
  if (trailing !== 0) {
    const offset = bytes.length - trailing;
    throw new Cifar10DataError(
      `${file}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records ` +
        `(${trailing} stray bytes from byte offset ${offset}); the file is truncated or not CIFAR-10`,
      file,
      offset,
    );
  }
  for (let offset = 0; offset < bytes.length; offset += CIFAR10_RECORD_BYTES) {
    const label = bytes[offset] as number;
    if (label >= CIFAR10_CLASSES) {
      throw new Cifar10DataError(
        `${file}: label ${label} at byte offset ${offset} (record ${offset / CIFAR10_RECORD_BYTES}) ` +
          `is not a class index 0..${CIFAR10_CLASSES - 1}`,
        file,
        offset,
      );
    }
  }
}

/** Copies records into one contiguous pixel array and one label array, keeping pixels uint8. */
function assembleSplit(files: readonly Uint8Array[], limit: number): Cifar10Split {
  const available = files.reduce((sum, bytes) => sum + bytes.length / CIFAR10_RECORD_BYTES, 0);
  const count = Math.min(available, limit);
  // Shared memory, so parallel training workers read these bytes instead of copies of them.
  const images = new Uint8Array(new SharedArrayBuffer(count * CIFAR10_IMAGE_BYTES));
  const labels = new Uint8Array(new SharedArrayBuffer(count));
  let record = 0;
  for (const bytes of files) {
    // Buffer#copy is a memcpy without the two typed-array objects subarray+set make per record.
    const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = 0; offset < bytes.length && record < count; offset += CIFAR10_RECORD_BYTES) {
      labels[record] = bytes[offset] as number;
      source.copy(images, record * CIFAR10_IMAGE_BYTES, offset + 1, offset + CIFAR10_RECORD_BYTES);
      record += 1;
    }
  }
  return { images, labels, count };
}

/** The standard binary layout of a dataset: training records spread evenly over five files. */
export function encodeCifar10Files(dataset: Cifar10Dataset): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const { train, test } = dataset;
  const parts = CIFAR10_TRAIN_FILES.length;
  CIFAR10_TRAIN_FILES.forEach((file, part) => {
    const start = Math.floor((part * train.count) / parts);
    const end = Math.floor(((part + 1) * train.count) / parts);
    files.set(file, encodeRecords(train, start, end));
  });
  files.set(CIFAR10_TEST_FILE, encodeRecords(test, 0, test.count));
  return files;
}

function encodeRecords(split: Cifar10Split, start: number, end: number): Uint8Array {
  const out = new Uint8Array((end - start) * CIFAR10_RECORD_BYTES);
  for (let record = start; record < end; record += 1) {
    const offset = (record - start) * CIFAR10_RECORD_BYTES;
    out[offset] = split.labels[record] as number;
    out.set(
      split.images.subarray(record * CIFAR10_IMAGE_BYTES, (record + 1) * CIFAR10_IMAGE_BYTES),
      offset + 1,
    );
  }
  return out;
}

/** sha256 over the encoded files in the fixed order: what loading them back would report. */
export function checksumCifar10Files(files: ReadonlyMap<string, Uint8Array>): string {
  return sha256Over(CIFAR10_FILES.flatMap((file) => files.get(file) ?? []));
}

/** The dataset checksum: sha256 over the files' bytes, given in CIFAR10_FILES order. */
function sha256Over(files: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const bytes of files) hash.update(bytes);
  return hash.digest('hex');
}
