import type { JobDetail } from '../launch/index.js';
import { DEFAULT_RUBRIC } from '../rubric/index.js';
import type { SubmissionRecord } from '../state/index.js';
import { identityOf } from './identity.js';
import { type IntakeDeps, resumeIntake } from './intake.js';
import { writeFailure } from './job-failed.js';
import { handleJobStateChange, type JobStateDeps } from './job-state.js';
import type { Logger } from './types.js';

export interface SweepDeps {
  /** Intake's collaborators: the state store, the buckets and the launcher. */
  intake: IntakeDeps;
  jobState: JobStateDeps;
  /** A received or claimed record untouched for this long has lost its intake. Default 15 min. */
  intakeStaleMs?: number;
  /** A queued or running record untouched for this long is asked about: the job timeout plus a margin. */
  jobStaleMs: number;
  /** How often a job Batch has no trace of is submitted again before it is given up. Default 1. */
  maxResubmissions?: number;
  /**
   * Also submit again a lost job that had started. On AWS a running job is lost only after
   * Batch's own retries, so it ends in a failure; a local service that was killed mid-job
   * starts it over.
   */
  resubmitRunning?: boolean;
  now?: () => number;
  log?: Logger;
  /** Hears the queue's state once per sweep, for the queue-age alarm. */
  metrics?: (figures: SweepMetrics) => void;
}

export interface SweepMetrics {
  /** Records not yet final. */
  unfinished: number;
  /** Minutes since the oldest queued or running record last moved (0 when there is none). */
  oldestWaitingMinutes: number;
}

export type SweepAction =
  /** Intake ran again for it (its outcome follows). */
  | 'intake-resumed'
  /** The job had ended: its end was recorded now, with its result. */
  | 'job-end-recorded'
  | 'marked-running'
  | 'resubmitted'
  /** Batch has no trace of the job and resubmissions ran out: a failure result was written. */
  | 'failed-lost'
  /** Nothing to do yet (the job is still waiting or running). */
  | 'waiting'
  | 'error';

export interface SweepEntry {
  student: string;
  id: string;
  was: SubmissionRecord['status'];
  action: SweepAction;
  detail?: string;
}

const DEFAULT_INTAKE_STALE_MS = 15 * 60_000;

/**
 * Finds every submission that should have moved on and did not, and moves it: the backstop
 * behind S3's, EventBridge's and Lambda's retries. Runs on a schedule (the sweeper Lambda) and
 * after the local flow. Each record is handled on its own; one failure does not stop the rest.
 */
export async function sweepSubmissions(deps: SweepDeps): Promise<SweepEntry[]> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => {});
  const { state } = deps.intake;
  const age = (record: SubmissionRecord) => now() - Date.parse(record.updated_at);
  const entries: SweepEntry[] = [];
  const note = (record: SubmissionRecord, action: SweepAction, detail?: string) => {
    const entry = {
      student: record.student,
      id: record.id,
      was: record.status,
      action,
      ...(detail ? { detail } : {}),
    };
    entries.push(entry);
    log({ event: 'swept', ...entry });
  };

  const unfinished = await state.listUnfinished();
  const waiting = unfinished.filter((r) => r.status === 'queued' || r.status === 'running');
  deps.metrics?.({
    unfinished: unfinished.length,
    oldestWaitingMinutes: Math.max(0, ...waiting.map((record) => age(record) / 60_000)),
  });
  const intakeStale = unfinished.filter(
    (record) =>
      (record.status === 'received' || record.status === 'claiming') &&
      age(record) > (deps.intakeStaleMs ?? DEFAULT_INTAKE_STALE_MS) &&
      (record.lease === undefined || Date.parse(record.lease.expires_at) <= now()),
  );
  for (const record of intakeStale) {
    try {
      const outcome = await resumeIntake(record, deps.intake);
      note(record, 'intake-resumed', outcome.status);
    } catch (error) {
      note(record, 'error', String(error));
    }
  }

  const jobStale = unfinished.filter(
    (record) =>
      (record.status === 'queued' || record.status === 'running') && age(record) > deps.jobStaleMs,
  );
  const launcher = deps.intake.launcher;
  const ids = jobStale.flatMap((record) => (record.job_id ? [record.job_id] : []));
  let described: JobDetail[] = [];
  if (ids.length > 0 && launcher.describe) {
    try {
      described = await launcher.describe(ids);
    } catch (error) {
      for (const record of jobStale) note(record, 'error', String(error));
      return entries;
    }
  }
  const byId = new Map(described.map((detail) => [detail.jobId, detail]));
  for (const record of jobStale) {
    try {
      const detail = record.job_id ? byId.get(record.job_id) : undefined;
      if (!detail) {
        await lostJob(record, deps, note);
      } else if (detail.status === 'SUCCEEDED' || detail.status === 'FAILED') {
        const outcome = await handleJobStateChange(detail, deps.jobState);
        note(record, 'job-end-recorded', outcome.status);
      } else if (detail.status === 'RUNNING' && record.status === 'queued') {
        await handleJobStateChange(detail, deps.jobState);
        note(record, 'marked-running');
      } else {
        note(record, 'waiting', detail.status);
      }
    } catch (error) {
      note(record, 'error', String(error));
    }
  }
  return entries;
}

/** The scheduler has no trace of the job: submit it again (once), else write a failure. */
async function lostJob(
  record: SubmissionRecord,
  deps: SweepDeps,
  note: (record: SubmissionRecord, action: SweepAction, detail?: string) => void,
): Promise<void> {
  const { intake } = deps;
  const resubmissions = record.resubmissions ?? 0;
  const object = record.object;
  const submission = {
    bucket: object.bucket,
    key: object.key,
    ...(object.version_id ? { versionId: object.version_id } : {}),
  };
  const resubmittable =
    record.status === 'queued' || (record.status === 'running' && deps.resubmitRunning === true);
  if (resubmittable && resubmissions < (deps.maxResubmissions ?? 1)) {
    const jobName = `${record.job_name ?? record.id}-r${resubmissions + 1}`;
    const job = await intake.launcher.launch({
      submission,
      result: { bucket: intake.resultsBucket, key: record.result_key },
      record: { student: record.student, id: record.id },
      jobName,
    });
    await intake.state.transition(record.student, record.id, {
      from: [record.status],
      to: record.status,
      set: { job_id: job.id, job_name: jobName, resubmissions: resubmissions + 1 },
    });
    note(record, 'resubmitted', job.id);
    return;
  }
  const rubric = intake.rubric ?? DEFAULT_RUBRIC;
  const message = `The grading job ${record.job_id ?? '(none)'} disappeared from the job queue without a result${resubmissions > 0 ? `, also after ${resubmissions} resubmission${resubmissions === 1 ? '' : 's'}` : ''}.`;
  await writeFailure(
    { results: intake.results, state: intake.state, rubric, log: deps.log ?? (() => {}) },
    record,
    { reason: 'crash', message, identity: identityOf(submission, undefined) },
  );
  note(record, 'failed-lost');
}

/** The namespace and names of the sweeper's metrics; the stack's queue-age alarm reads them. */
export const SWEEP_METRICS = {
  namespace: 'Cifar10Autograder',
  oldestWaitingMinutes: 'OldestWaitingMinutes',
  unfinished: 'UnfinishedSubmissions',
} as const;

/** CloudWatch's embedded metric format: one log line that Lambda's log group turns into metrics. */
export function embeddedMetrics(figures: SweepMetrics, now: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: SWEEP_METRICS.namespace,
          Dimensions: [[]],
          Metrics: [
            { Name: SWEEP_METRICS.oldestWaitingMinutes, Unit: 'None' },
            { Name: SWEEP_METRICS.unfinished, Unit: 'Count' },
          ],
        },
      ],
    },
    [SWEEP_METRICS.oldestWaitingMinutes]: Math.round(figures.oldestWaitingMinutes),
    [SWEEP_METRICS.unfinished]: figures.unfinished,
  };
}
