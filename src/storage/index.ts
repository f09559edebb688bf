export { InvalidKeyError, ObjectTooLargeError, StorageError } from './errors.js';
export { type FileLockOptions, withFileLock } from './file-lock.js';
export { FileSystemObjectStore } from './fs-store.js';
export { KEY_LIMITS, keyBytes, keyProblem } from './key-grammar.js';
export {
  createLoopbackS3Client,
  LOOPBACK_CREDENTIALS,
  type LoopbackS3,
  startLoopbackS3,
} from './loopback-s3.js';
export { isErrno, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';
export {
  createS3Client,
  type S3ClientSettings,
  S3ObjectStore,
  type S3ObjectStoreOptions,
} from './s3-store.js';
export type { ObjectStore } from './types.js';
