/** One split of CIFAR-10 as stored: uint8 pixels, record by record, in the file's CHW order. */
export interface Cifar10Split {
  /** count × 3072 bytes: 1024 red, 1024 green, 1024 blue per image, row-major. */
  images: Uint8Array;
  /** count labels in 0..9. */
  labels: Uint8Array;
  count: number;
}

export interface Cifar10Dataset {
  train: Cifar10Split;
  test: Cifar10Split;
  /** sha256 over the source files, in a fixed order; identifies the data in results. */
  checksum: string;
  /** Where it was read from, for messages and results. */
  source: string;
}

export const CIFAR10_IMAGE_BYTES = 3072;
export const CIFAR10_RECORD_BYTES = 3073;
export const CIFAR10_CLASSES = 10;
export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';
