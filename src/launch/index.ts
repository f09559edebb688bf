export {
  BatchLauncher,
  type BatchLauncherOptions,
  batchJobName,
  routeByTrainingWork,
} from './batch-launcher.js';
export {
  AWS_PASSTHROUGH_ENV,
  DockerLauncher,
  type DockerLauncherOptions,
  type Spawn,
} from './docker-launcher.js';
export { JobEnvironmentError, LaunchError } from './errors.js';
export {
  CANCELLED_EXIT_CODE,
  InProcessLauncher,
  type InProcessLauncherOptions,
  type RunJob,
} from './in-process-launcher.js';
export {
  JOB_ENV,
  jobEnvironment,
  parseJobEnvironment,
  requestOfJob,
} from './job-environment.js';
export type {
  GradeJobRequest,
  JobDetail,
  JobLauncher,
  JobRoute,
  JobStateListener,
  LaunchedJob,
} from './types.js';
