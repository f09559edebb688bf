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
export { InProcessLauncher, type RunJob } from './in-process-launcher.js';
export { JOB_ENV, jobEnvironment, parseJobEnvironment } from './job-environment.js';
export type { GradeJobRequest, JobLauncher, JobRoute, LaunchedJob } from './types.js';
