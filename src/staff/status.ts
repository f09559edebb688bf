import {
  type BatchClient,
  type JobStatus,
  type JobSummary,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { StaffCommandError } from './errors.js';

/** Batch's job states, grouped the way staff ask about them. */
export const WAITING_STATES: readonly JobStatus[] = [
  'SUBMITTED',
  'PENDING',
  'RUNNABLE',
  'STARTING',
];
const ALL_STATES: readonly JobStatus[] = [...WAITING_STATES, 'RUNNING', 'SUCCEEDED', 'FAILED'];

export interface WaitingJob {
  jobId: string;
  jobName: string;
  status: JobStatus;
  createdAt: Date;
}

export interface FailedJob {
  jobId: string;
  jobName: string;
  stoppedAt: Date | null;
  reason: string;
}

export interface QueueStatus {
  jobQueue: string;
  /** Jobs per Batch state. */
  byState: Record<JobStatus, number>;
  queued: number;
  running: number;
  failed: number;
  finished: number;
  /** The job that has waited longest for an instance, if any is waiting. */
  oldestWaiting: WaitingJob | null;
  /** The most recent failures, newest first (at most five). */
  recentFailures: FailedJob[];
}

async function listState(
  batch: BatchClient,
  jobQueue: string,
  state: JobStatus,
): Promise<JobSummary[]> {
  const jobs: JobSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await batch
      .send(
        new ListJobsCommand({ jobQueue, jobStatus: state, ...(nextToken ? { nextToken } : {}) }),
      )
      .catch((error: unknown) => {
        throw new StaffCommandError(
          `cannot list ${state} jobs of ${jobQueue}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      });
    jobs.push(...(page.jobSummaryList ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return jobs;
}

/**
 * Counts of the stack's grading jobs by state, from Batch ListJobs. Batch forgets finished
 * (SUCCEEDED, FAILED) jobs after some days, so those counts cover recent jobs, not the course:
 * the report over the results bucket is the course's record.
 */
export async function queueStatus(batch: BatchClient, jobQueue: string): Promise<QueueStatus> {
  const byState = {} as Record<JobStatus, number>;
  const waiting: WaitingJob[] = [];
  const failures: FailedJob[] = [];
  for (const state of ALL_STATES) {
    const jobs = await listState(batch, jobQueue, state);
    byState[state] = jobs.length;
    for (const job of jobs) {
      if (WAITING_STATES.includes(state)) {
        waiting.push({
          jobId: job.jobId ?? '?',
          jobName: job.jobName ?? '?',
          status: state,
          createdAt: new Date(job.createdAt ?? 0),
        });
      } else if (state === 'FAILED') {
        failures.push({
          jobId: job.jobId ?? '?',
          jobName: job.jobName ?? '?',
          stoppedAt: job.stoppedAt === undefined ? null : new Date(job.stoppedAt),
          reason: job.statusReason ?? job.container?.reason ?? 'no reason given',
        });
      }
    }
  }
  waiting.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  failures.sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
  return {
    jobQueue,
    byState,
    queued: WAITING_STATES.reduce((sum, s) => sum + byState[s], 0),
    running: byState.RUNNING,
    failed: byState.FAILED,
    finished: byState.SUCCEEDED,
    oldestWaiting: waiting[0] ?? null,
    recentFailures: failures.slice(0, 5),
  };
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/** What `autograder status` prints. */
export function renderQueueStatus(status: QueueStatus, stackName: string, now: Date): string {
  const s = status.byState;
  const lines = [
    `Stack ${stackName}, job queue ${status.jobQueue}`,
    `  queued    ${String(status.queued).padStart(5)}  (submitted ${s.SUBMITTED}, pending ${s.PENDING}, runnable ${s.RUNNABLE}, starting ${s.STARTING})`,
    `  running   ${String(status.running).padStart(5)}`,
    `  failed    ${String(status.failed).padStart(5)}`,
    `  finished  ${String(status.finished).padStart(5)}`,
    '  (finished and failed: the jobs Batch still lists, which are recent ones only)',
    '',
  ];
  const oldest = status.oldestWaiting;
  lines.push(
    oldest
      ? `Oldest waiting: ${oldest.jobName} (job ${oldest.jobId}), ${oldest.status}, waiting ${duration(now.getTime() - oldest.createdAt.getTime())} since ${oldest.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`
      : 'Nothing is waiting.',
  );
  if (status.recentFailures.length > 0) {
    lines.push('', 'Most recent failures (each has a result file that says why):');
    for (const f of status.recentFailures) {
      const when = f.stoppedAt
        ? `${f.stoppedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`
        : 'time unknown';
      lines.push(`  ${f.jobName} (job ${f.jobId}), ${when}: ${f.reason}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
