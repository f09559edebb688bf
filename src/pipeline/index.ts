/**
 * The serverless pipeline's logic: what on-submission, on-job-state and the sweeper do, and the
 * grading job the container runs. Handlers in functions/ and grader-image/ only wire these up.
 */
export { EventShapeError, RegradeError } from './errors.js';
export { identityOf } from './identity.js';
export {
  DEFAULT_QUEUE_POLICY,
  handleSubmission,
  type IntakeDeps,
  type QueuePolicy,
  type RegradeRequest,
  resumeIntake,
  startRegrade,
} from './intake.js';
export {
  type BatchJobDetail,
  classifyJobFailure,
  handleJobFailed,
  type JobFailedDeps,
  requestOfFailedJob,
} from './job-failed.js';
export { handleJobStateChange, type JobStateDeps } from './job-state.js';
export {
  MAX_SUBMISSION_KEY_BYTES,
  RESULTS_PREFIX,
  SUBMISSIONS_PREFIX,
  submissionSource,
} from './keys.js';
export { decodeS3Key, submissionsInEvent } from './s3-event.js';
export {
  embeddedMetrics,
  SWEEP_METRICS,
  type SweepAction,
  type SweepDeps,
  type SweepEntry,
  type SweepMetrics,
  sweepSubmissions,
} from './sweep.js';
export type {
  IntakeOutcome,
  JobFailedOutcome,
  JobFailureReason,
  JobStateOutcome,
  Logger,
  SubmissionRef,
} from './types.js';
export {
  type AwsClients,
  handleS3Event,
  IntakeInProgressError,
  intakeDepsFor,
  jobFailedDepsFor,
  jsonLog,
  s3ClientFor,
  storesOn,
  sweepDepsFor,
} from './wiring.js';
