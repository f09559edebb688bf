import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { LaunchError } from './errors.js';
import { jobEnvironment } from './job-environment.js';
import type { GradeJobRequest, JobLauncher, JobRoute, LaunchedJob } from './types.js';

export interface BatchLauncherOptions {
  /** The GPU queue and its job definition: every job goes here unless routed to `cpu`. */
  jobQueue: string;
  jobDefinition: string;
  /** The CPU route (no GPU, the wasm engine), for light jobs; absent when it is not deployed. */
  cpu?: { jobQueue: string; jobDefinition: string };
  /** Chooses the queue of each job; default: routeByTrainingWork without a threshold (all GPU). */
  route?: (request: GradeJobRequest) => JobRoute;
  client?: BatchClient;
}

/**
 * Sends a job whose training work is known and below `maxCpuWork` (multiply-accumulates) to the
 * CPU queue, everything else (heavier, or of unknown work) to the GPU queue.
 */
export function routeByTrainingWork(maxCpuWork: number): (request: GradeJobRequest) => JobRoute {
  return (request) =>
    request.trainingWork !== undefined && request.trainingWork < maxCpuWork ? 'cpu' : 'gpu';
}

/** Batch job names: up to 128 letters, digits, hyphens and underscores, starting alphanumeric. */
export function batchJobName(submissionKey: string): string {
  const base = submissionKey
    .replace(/^submissions\//, '')
    .replace(/\.json$/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return `grade-${base}`.slice(0, 128);
}

/** Starts one AWS Batch job per submission; the job definition names the grader image. */
export class BatchLauncher implements JobLauncher {
  private readonly client: BatchClient;

  constructor(private readonly options: BatchLauncherOptions) {
    this.client = options.client ?? new BatchClient({});
  }

  async launch(request: GradeJobRequest): Promise<LaunchedJob> {
    const { cpu } = this.options;
    const route: JobRoute = cpu && this.options.route?.(request) === 'cpu' ? 'cpu' : 'gpu';
    const target =
      route === 'cpu' && cpu
        ? cpu
        : { jobQueue: this.options.jobQueue, jobDefinition: this.options.jobDefinition };
    let jobId: string | undefined;
    try {
      const response = await this.client.send(
        new SubmitJobCommand({
          jobName: batchJobName(request.submission.key),
          jobQueue: target.jobQueue,
          jobDefinition: target.jobDefinition,
          containerOverrides: {
            environment: Object.entries(jobEnvironment(request)).map(([name, value]) => ({
              name,
              value,
            })),
          },
        }),
      );
      jobId = response.jobId;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new LaunchError(`cannot submit a Batch job for ${request.submission.key}: ${reason}`, {
        cause: error,
      });
    }
    if (!jobId) throw new LaunchError(`Batch returned no job id for ${request.submission.key}`);
    return { id: jobId, launcher: 'batch', ...(cpu ? { route } : {}) };
  }
}
