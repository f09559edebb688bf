import type { GradeJobRequest, JobLauncher, LaunchedJob } from './types.js';

/** Runs one grading job; resolves with its exit code (0 when it wrote a result). */
export type RunJob = (request: GradeJobRequest, jobId: string) => Promise<number>;

/**
 * Runs jobs in this process, one at a time in launch order, like a queue with one worker:
 * training is CPU-bound, and two at once would only halve each one's speed.
 */
export class InProcessLauncher implements JobLauncher {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;

  constructor(
    private readonly runJob: RunJob,
    /** Hears of a job that threw instead of ending with an exit code. */
    private readonly onError: (error: unknown, jobId: string) => void = () => {},
  ) {}

  async launch(request: GradeJobRequest): Promise<LaunchedJob> {
    const id = `local-${++this.count}`;
    const finished = this.tail.then(() =>
      // A job that throws is a failed job (exit 1), as a container that crashes would be.
      this.runJob(request, id).catch((error: unknown) => {
        this.onError(error, id);
        return 1;
      }),
    );
    this.tail = finished;
    return { id, launcher: 'in-process', finished };
  }
}
