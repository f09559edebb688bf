/** An object is larger than the caller allowed; nothing past the cap was read. */
export class ObjectTooLargeError extends Error {
  override name = 'ObjectTooLargeError';
  constructor(
    readonly key: string,
    readonly maxBytes: number,
    readonly size?: number,
  ) {
    super(
      size === undefined
        ? `object "${key}" is larger than the ${maxBytes}-byte limit`
        : `object "${key}" is ${size} bytes; the limit is ${maxBytes}`,
    );
  }
}

/** A key that cannot name an object: empty, absolute, or escaping the store with "..". */
export class InvalidKeyError extends Error {
  override name = 'InvalidKeyError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key "${key}": ${reason}`);
  }
}

/** The store failed for a reason other than a missing object or a failed precondition. */
export class StorageError extends Error {
  override name = 'StorageError';
}
