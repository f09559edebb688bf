/**
 * The submission state store: one record per upload, the single source of truth of its
 * lifecycle (design.md, "Lifecycle: one record, one result").
 *
 * Contract
 * - Ids: `submissionIdFor(upload)` is the only rule mapping an upload to (student, id).
 *   Redelivered events of one upload get the same id. The API picks ids with
 *   `newSubmissionId()`, registers them (`register`, status "received") and stores the file as
 *   `submissionKeyOf(student, id)`; intake recognizes the name and claims that same record.
 *   Any other name (staff uploads, re-uploads of a key) gets a per-upload id.
 * - Status moves only forward: received → claiming → queued → running → graded | failed,
 *   and received | claiming → rejected. Every write is conditional on the record's revision;
 *   `transition` throws TransitionConflictError (with the current record) when the record is
 *   not in one of the expected statuses. `publicStatus` maps to what students see.
 * - Intake is a lease: `claim` creates the record (or binds a registered one) in "claiming"
 *   with a lease of `lease_ms`; a claim whose lease expired is taken over by the next claim
 *   (a retry or the sweeper), so a claimer that dies never strands an upload.
 * - Each record names its own result file, `result_key` = results/<student>/<id>.json.
 * - `listByStudent` is newest first; `listUnfinished` is the sweeper's list.
 * Adapters: files under a directory (`createFileSystemStateStore`, the local flow) and
 * DynamoDB (`createDynamoDbStateStore`, AWS). Both share the rules in lifecycle.ts.
 */
export {
  createDynamoDbStateStore,
  createSubmissionsTable,
  DynamoDbRecordTable,
  type DynamoDbStateStoreOptions,
  SUBMISSIONS_TABLE,
} from './dynamodb-state-store.js';
export {
  InvalidSubmissionKeyError,
  InvalidTransitionError,
  StateStoreError,
  SubmissionNotFoundError,
  TransitionConflictError,
} from './errors.js';
export {
  createFileSystemStateStore,
  FileSystemRecordTable,
  type FileSystemStateStoreOptions,
} from './fs-state-store.js';
export {
  CHOSEN_ID_PATTERN,
  jobNameFor,
  newRegradeId,
  newSubmissionId,
  RESULTS_PREFIX,
  resultKeyOf,
  STUDENT_PATTERN,
  SUBMISSION_ID_PATTERN,
  SUBMISSIONS_PREFIX,
  type SubmissionIdentification,
  shareIdentifierFor,
  submissionIdFor,
  submissionKeyOf,
  type UploadRef,
  uploadIdentity,
} from './ids.js';
export {
  FINAL_STATUSES,
  isFinalStatus,
  publicStatus,
  UNFINISHED_STATUSES,
} from './lifecycle.js';
export { RecordStore, type RecordStoreOptions, type RecordTable } from './record-store.js';
export type {
  ClaimOutcome,
  ClaimRequest,
  NewSubmission,
  PublicStatus,
  RecordChanges,
  SubmissionFailure,
  SubmissionObject,
  SubmissionRecord,
  SubmissionStateStore,
  SubmissionStatus,
  Transition,
} from './types.js';
