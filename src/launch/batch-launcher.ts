import {
  BatchClient,
  type JobDetail as BatchJobDescription,
  CancelJobCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { LaunchError } from './errors.js';
import { jobEnvironment } from './job-environment.js';
import type { GradeJobRequest, JobDetail, JobLauncher, JobRoute, LaunchedJob } from './types.js';

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

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Starts one AWS Batch job per submission; the job definition names the grader image. */
export class BatchLauncher implements JobLauncher {
  private readonly client: BatchClient;

  constructor(private readonly options: BatchLauncherOptions) {
    this.client = options.client ?? new BatchClient({});
  }

  /**
   * Submits the job, unless the queue already has one of the request's jobName: a SubmitJob
   * that succeeded at Batch but failed on the way back, retried, must not start a second job.
   */
  async launch(request: GradeJobRequest): Promise<LaunchedJob> {
    const { cpu } = this.options;
    const route: JobRoute = cpu && this.options.route?.(request) === 'cpu' ? 'cpu' : 'gpu';
    const target =
      route === 'cpu' && cpu
        ? cpu
        : { jobQueue: this.options.jobQueue, jobDefinition: this.options.jobDefinition };
    const jobName = request.jobName ?? batchJobName(request.submission.key);
    const where = request.submission.key;
    if (request.jobName) {
      const existing = await this.findByName(request.jobName, target.jobQueue, where);
      if (existing)
        return { id: existing, launcher: 'batch', existing: true, ...(cpu ? { route } : {}) };
    }
    let jobId: string | undefined;
    try {
      const response = await this.client.send(
        new SubmitJobCommand({
          jobName,
          jobQueue: target.jobQueue,
          jobDefinition: target.jobDefinition,
          ...(request.shareIdentifier ? { shareIdentifier: request.shareIdentifier } : {}),
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
      throw new LaunchError(`cannot submit a Batch job for ${where}: ${reasonOf(error)}`, {
        cause: error,
      });
    }
    if (!jobId) throw new LaunchError(`Batch returned no job id for ${where}`);
    return { id: jobId, launcher: 'batch', ...(cpu ? { route } : {}) };
  }

  /** The newest job of exactly this name in the queue (any status), if there is one. */
  private async findByName(
    jobName: string,
    jobQueue: string,
    where: string,
  ): Promise<string | undefined> {
    let nextToken: string | undefined;
    let newest: { id: string; createdAt: number } | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListJobsCommand({
            jobQueue,
            // With a filter, ListJobs answers jobs of every status.
            filters: [{ name: 'JOB_NAME', values: [jobName] }],
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        for (const job of page.jobSummaryList ?? []) {
          if (job.jobName !== jobName || !job.jobId) continue;
          const createdAt = job.createdAt ?? 0;
          if (!newest || createdAt > newest.createdAt) newest = { id: job.jobId, createdAt };
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      throw new LaunchError(`cannot look up Batch jobs for ${where}: ${reasonOf(error)}`, {
        cause: error,
      });
    }
    return newest?.id;
  }

  async cancel(jobId: string, reason: string): Promise<void> {
    try {
      await this.client.send(new CancelJobCommand({ jobId, reason: reason.slice(0, 255) }));
    } catch (error) {
      throw new LaunchError(`cannot cancel Batch job ${jobId}: ${reasonOf(error)}`, {
        cause: error,
      });
    }
  }

  async describe(jobIds: string[]): Promise<JobDetail[]> {
    const details: JobDetail[] = [];
    for (let start = 0; start < jobIds.length; start += 100) {
      try {
        const { jobs } = await this.client.send(
          new DescribeJobsCommand({ jobs: jobIds.slice(start, start + 100) }),
        );
        for (const job of jobs ?? []) details.push(toJobDetail(job));
      } catch (error) {
        throw new LaunchError(`cannot describe Batch jobs: ${reasonOf(error)}`, { cause: error });
      }
    }
    return details;
  }
}

function toJobDetail(job: BatchJobDescription): JobDetail {
  return {
    jobId: job.jobId,
    jobName: job.jobName,
    status: job.status,
    statusReason: job.statusReason,
    container: {
      exitCode: job.container?.exitCode,
      reason: job.container?.reason,
      environment: job.container?.environment?.map((entry) => ({
        name: entry.name,
        value: entry.value,
      })),
    },
    attempts: job.attempts?.map((attempt) => ({
      statusReason: attempt.statusReason,
      container: { exitCode: attempt.container?.exitCode, reason: attempt.container?.reason },
    })),
  };
}
