/**
 * A CIFAR-10 source that is missing, truncated or malformed. The message names the file and,
 * where it applies, the byte offset, so staff can find the problem without a debugger.
 */
export class Cifar10DataError extends Error {
  override name = 'Cifar10DataError';

  constructor(
    message: string,
    /** The file (or object key) at fault. */
    readonly file: string,
    /** Byte offset of the problem inside that file, when there is one. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** Batch indices or buffers that do not fit the split they are drawn from. */
export class Cifar10BatchError extends RangeError {
  override name = 'Cifar10BatchError';
}

/**
 * CIFAR-10 could not be fetched: no network, an HTTP error, a truncated or corrupt archive, a
 * checksum mismatch. The message says what happened and what to do, including how to place the
 * files by hand on a machine without network access.
 */
export class Cifar10FetchError extends Error {
  override name = 'Cifar10FetchError';
}
