/** The students' service: the API's handlers, its HTTP and Lambda adapters, the submission desk. */
export {
  type ApiDeps,
  DEFAULT_SUBMISSIONS_PER_DAY,
  handleApiRequest,
  pathSegments,
  quotaLimit,
  UNAUTHORIZED,
} from './api.js';
export { PageBuildError, ServiceError } from './errors.js';
export { LOOPBACK_HOST, type StudentServer, startStudentServer } from './http-server.js';
export { isSubmissionId, newSubmissionId, submittedAt } from './ids.js';
export {
  ObjectStoreDesk,
  type ObjectStoreDeskOptions,
  resultKeyOf,
  submissionKeyOf,
} from './object-store-desk.js';
export type * from './types.js';
