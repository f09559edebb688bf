/** Who students are: personal tokens (only their hashes stored), the students store, quotas. */
export { TokenAuthenticator } from './authenticator.js';
export {
  createStudentsTable,
  DynamoDbStudentsStore,
  type DynamoDbStudentsStoreOptions,
  STUDENTS_TABLE_KEY,
} from './dynamodb-students-store.js';
export {
  InvalidStudentNameError,
  RosterError,
  StudentError,
  StudentExistsError,
} from './errors.js';
export { FileSystemStudentsStore } from './fs-students-store.js';
export { QUOTA_WINDOW_MS, quotaState, slotsInWindow, type TakeOutcome, takeSlot } from './quota.js';
export { parseRoster } from './roster.js';
export {
  bearerToken,
  checkStudentName,
  hashToken,
  issueToken,
  STUDENT_NAME,
  TOKEN_PREFIX,
} from './tokens.js';
export type {
  Authenticator,
  Principal,
  QuotaDecision,
  QuotaState,
  QuotaStore,
  StudentRecord,
  StudentsStore,
} from './types.js';
