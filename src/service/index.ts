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
export { RecordDesk, type RecordDeskOptions } from './record-desk.js';
export type * from './types.js';
