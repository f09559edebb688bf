/** The object store port: S3 in AWS, a directory on a laptop. Keys use "/" separators. */
export interface ObjectStore {
  /** The object's bytes, or undefined when there is none. Refuses objects over maxBytes. */
  get(
    key: string,
    options?: { maxBytes?: number; versionId?: string },
  ): Promise<Uint8Array | undefined>;
  /** Writes the object. With ifNoneMatch, writes only when no object exists, and says whether it did. */
  put(
    key: string,
    body: Uint8Array | string,
    options?: { contentType?: string; ifNoneMatch?: boolean },
  ): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}
