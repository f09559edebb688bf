/**
 * The serverless pipeline's logic: what on-submission and on-job-failed do, and the grading
 * job the container runs. Handlers in functions/ and grader-image/ only wire these up.
 */
export { EventShapeError } from './errors.js';
export { identityOf } from './identity.js';
export { handleSubmission, type IntakeDeps } from './intake.js';
export {
  type BatchJobDetail,
  classifyJobFailure,
  handleJobFailed,
  type JobFailedDeps,
  requestOfFailedJob,
} from './job-failed.js';
export {
  CLAIMS_PREFIX,
  claimKeyFor,
  RESULTS_PREFIX,
  resultKeyFor,
  SUBMISSIONS_PREFIX,
  submissionSource,
} from './keys.js';
export { decodeS3Key, submissionsInEvent } from './s3-event.js';
export type {
  IntakeOutcome,
  JobFailedOutcome,
  JobFailureReason,
  Logger,
  SubmissionRef,
} from './types.js';
export {
  type AwsClients,
  handleS3Event,
  intakeDepsFor,
  jobFailedDepsFor,
  jsonLog,
  s3ClientFor,
  storesOn,
} from './wiring.js';
