/**
 * The one key grammar of every object store: what the filesystem store can hold, so a key S3
 * accepts but a directory cannot (or that would escape it) is refused the same way everywhere.
 */

/** Prefix of the filesystem store's temporary files; never part of a key. */
export const TEMP_PREFIX = '.autograder-tmp-';

export const KEY_LIMITS = {
  /** S3's limit on a key, in UTF-8 bytes. */
  keyBytes: 1024,
  /** A file name's limit on common filesystems (ext4, APFS), in UTF-8 bytes. */
  segmentBytes: 255,
} as const;

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The key's length as S3 counts it. */
export function keyBytes(key: string): number {
  return encoder.encode(key).byteLength;
}

/** Why the key cannot name an object in every store, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key === '' || key.endsWith('/')) return 'it names no object';
  if (key.startsWith('/')) return 'keys are relative';
  if (keyBytes(key) > KEY_LIMITS.keyBytes) {
    return `it is ${keyBytes(key)} bytes long; keys may be at most ${KEY_LIMITS.keyBytes}`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'control characters are not allowed';
  if (LONE_SURROGATE.test(key)) return 'it is not well-formed Unicode';
  const parts = key.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    return 'empty, "." and ".." segments are not allowed';
  }
  if (parts.some((part) => part.startsWith(TEMP_PREFIX) || part.includes('\\'))) {
    return `segments may not contain "\\" or start with ${TEMP_PREFIX}`;
  }
  const long = parts.find((part) => keyBytes(part) > KEY_LIMITS.segmentBytes);
  if (long !== undefined) {
    return `a segment is ${keyBytes(long)} bytes long; segments may be at most ${KEY_LIMITS.segmentBytes}`;
  }
  return undefined;
}
