import { jobEnvironment } from './job-environment.js';
import type {
  GradeJobRequest,
  JobDetail,
  JobLauncher,
  JobStateListener,
  LaunchedJob,
} from './types.js';

/** Runs one grading job; resolves with its exit code (0 when it wrote a result). */
export type RunJob = (request: GradeJobRequest, jobId: string) => Promise<number>;

export interface InProcessLauncherOptions {
  /** Hears RUNNING, SUCCEEDED and FAILED as EventBridge hears them from Batch. */
  onStateChange?: JobStateListener;
  /**
   * Job ids are `<prefix>-<n>`; default "local". A service that outlives its process gives each
   * process its own, so a record's job from before a restart is never taken for a new one.
   */
  idPrefix?: string;
}

/** Exit code a cancelled job's `finished` settles with (it never ran). */
export const CANCELLED_EXIT_CODE = 130;

interface LocalJob {
  request: GradeJobRequest;
  detail: JobDetail;
  cancelled?: string;
  launched: LaunchedJob;
}

/**
 * Runs jobs in this process, one at a time in launch order, like a queue with one worker:
 * training is CPU-bound, and two at once would only halve each one's speed.
 */
export class InProcessLauncher implements JobLauncher {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;
  private readonly jobs = new Map<string, LocalJob>();
  private readonly byName = new Map<string, string>();

  constructor(
    private readonly runJob: RunJob,
    /** Hears of a job that threw instead of ending with an exit code. */
    private readonly onError: (error: unknown, jobId: string) => void = () => {},
    private readonly options: InProcessLauncherOptions = {},
  ) {}

  async launch(request: GradeJobRequest): Promise<LaunchedJob> {
    const known = request.jobName ? this.byName.get(request.jobName) : undefined;
    const existing = known ? this.jobs.get(known) : undefined;
    if (existing) return { ...existing.launched, existing: true };

    const id = `${this.options.idPrefix ?? 'local'}-${++this.count}`;
    const environment = Object.entries(jobEnvironment(request)).map(([name, value]) => ({
      name,
      value,
    }));
    const job: LocalJob = {
      request,
      detail: {
        jobId: id,
        jobName: request.jobName ?? id,
        status: 'RUNNABLE',
        container: { environment },
      },
      launched: { id, launcher: 'in-process' },
    };
    const finished = this.tail.then(() => this.run(job));
    job.launched.finished = finished;
    this.tail = finished;
    this.jobs.set(id, job);
    if (request.jobName) this.byName.set(request.jobName, id);
    return job.launched;
  }

  private async run(job: LocalJob): Promise<number> {
    const id = job.detail.jobId ?? '';
    if (job.cancelled !== undefined) {
      await this.report(job, 'FAILED', { statusReason: job.cancelled, exitCode: undefined });
      return CANCELLED_EXIT_CODE;
    }
    await this.report(job, 'RUNNING', {});
    // A job that throws is a failed job (exit 1), as a container that crashes would be; what it
    // threw is its status reason, so the failure result says why (a full disk, say).
    let thrown: string | undefined;
    const code = await this.runJob(job.request, id).catch((error: unknown) => {
      this.onError(error, id);
      thrown = error instanceof Error ? error.message : String(error);
      return 1;
    });
    await this.report(job, code === 0 ? 'SUCCEEDED' : 'FAILED', {
      statusReason:
        code === 0
          ? 'Essential container in task exited'
          : thrown !== undefined
            ? `the job stopped: ${thrown}`
            : `exit code ${code}`,
      exitCode: code,
    });
    return code;
  }

  private async report(
    job: LocalJob,
    status: string,
    change: { statusReason?: string; exitCode?: number | undefined },
  ): Promise<void> {
    job.detail = {
      ...job.detail,
      status,
      ...(change.statusReason ? { statusReason: change.statusReason } : {}),
      container: {
        ...job.detail.container,
        ...(change.exitCode !== undefined ? { exitCode: change.exitCode } : {}),
      },
    };
    try {
      await this.options.onStateChange?.(job.detail);
    } catch (error) {
      this.onError(error, job.detail.jobId ?? '');
    }
  }

  async cancel(jobId: string, reason: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job && job.detail.status === 'RUNNABLE') job.cancelled = reason;
  }

  async describe(jobIds: string[]): Promise<JobDetail[]> {
    return jobIds.flatMap((id) => {
      const job = this.jobs.get(id);
      return job ? [job.detail] : [];
    });
  }
}
