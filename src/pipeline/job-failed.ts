import { type GradeJobRequest, type JobDetail, requestOfJob } from '../launch/index.js';
import {
  buildFailureResult,
  DEFAULT_RUBRIC,
  type FailureReason,
  isFinalResult,
  isResultFile,
  type ResultFile,
  type Rubric,
  type SubmissionIdentity,
} from '../rubric/index.js';
import {
  type SubmissionRecord,
  type SubmissionStateStore,
  TransitionConflictError,
} from '../state/index.js';
import { type ObjectStore, ObjectTooLargeError } from '../storage/index.js';
import { EventShapeError } from './errors.js';
import { identityOf } from './identity.js';
import { assessOutOfMemory } from './out-of-memory.js';
import { putResultFile } from './result-file.js';
import type { JobFailedOutcome, JobFailureReason, Logger } from './types.js';

/** The fields of EventBridge's "Batch Job State Change" detail that say what failed and why. */
export type BatchJobDetail = JobDetail;

/** Sorts a failed job into the result file's reasons, with words for staff and student. */
export function classifyJobFailure(detail: BatchJobDetail): {
  reason: JobFailureReason;
  message: string;
} {
  const lastAttempt = detail.attempts?.at(-1);
  const statusReasons = [detail.statusReason, lastAttempt?.statusReason].filter(
    (text): text is string => Boolean(text),
  );
  const containerReasons = [detail.container?.reason, lastAttempt?.container?.reason].filter(
    (text): text is string => Boolean(text),
  );
  const exitCode = detail.container?.exitCode ?? lastAttempt?.container?.exitCode;
  const said = [...new Set([...statusReasons, ...containerReasons])].join('; ');
  const because = said ? ` (AWS Batch: ${said})` : '';
  if (statusReasons.some((text) => /^Host EC2/i.test(text))) {
    return {
      reason: 'host_lost',
      message: `The instance running the grader was lost on the last allowed attempt${because}.`,
    };
  }
  // The queue cancels a job stuck in RUNNABLE with one of Batch's CAPACITY:/MISCONFIGURATION: reasons.
  if (statusReasons.some((text) => /^(CAPACITY|MISCONFIGURATION):/.test(text))) {
    return {
      reason: 'timeout',
      message: `No GPU instance could take the grading job in time, so it was cancelled before it started; nothing was graded, and staff should check the compute environment${because}.`,
    };
  }
  if (statusReasons.some((text) => /timeout|timed out/i.test(text))) {
    return {
      reason: 'timeout',
      message: `The grading job ran past its time limit and was stopped${because}.`,
    };
  }
  if (containerReasons.some((text) => /OutOfMemory/i.test(text))) {
    return {
      reason: 'out_of_memory',
      message: `The grading job used more than the host memory reserved for its container (not the GPU's memory) and was stopped${because}.`,
    };
  }
  const code = exitCode === undefined ? '' : ` with exit code ${exitCode}`;
  return { reason: 'crash', message: `The grader stopped${code}${because}.` };
}

/** The grading request a failed job carried, or undefined for a job that is not a grading job. */
export function requestOfFailedJob(detail: BatchJobDetail): GradeJobRequest | undefined {
  return requestOfJob(detail);
}

export interface JobFailedDeps {
  /** The buckets by name: the job's environment names the ones it used. */
  storeFor: (bucket: string) => ObjectStore;
  /** The submission records. */
  state: SubmissionStateStore;
  rubric?: Rubric;
  log?: Logger;
}

/**
 * Writes the result of a job that failed for good and makes its record final, unless that
 * would lose information:
 * - a record that is already final keeps its result (the job, the sweeper or a redelivered
 *   event got there first);
 * - an event about a job that no longer owns the record (the sweeper resubmitted it) is kept out;
 * - the job's own final result stands (the grader writes one even when it then exits non-zero);
 * - a checkpoint the job wrote keeps the scores of what finished.
 * A job cancelled because a newer upload superseded it gets a result that says so.
 * Errors propagate: the Lambda's retries and then its on-failure queue keep the event, and the
 * sweeper finds the record either way.
 */
export async function handleJobFailed(
  detail: BatchJobDetail,
  deps: JobFailedDeps,
): Promise<JobFailedOutcome> {
  const log = deps.log ?? (() => {});
  if (detail.status !== undefined && detail.status !== 'FAILED') {
    throw new EventShapeError(`the job's status is ${detail.status}, not FAILED`);
  }
  const found = await recordOfJob(detail, deps.state);
  if ('ignored' in found) {
    log({ event: 'ignored', jobId: detail.jobId, why: found.ignored });
    return { status: 'ignored', why: found.ignored };
  }
  const { request, record } = found;
  const resultKey = record.result_key;
  if (found.stale) return kept(resultKey, found.stale, log, detail);

  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const results = deps.storeFor(request.result.bucket);
  const existing = await readResult(results, resultKey);
  if (existing && isFinalResult(existing)) {
    await finish(deps.state, record, statusOfResult(existing), resultFields(existing), log);
    return kept(resultKey, 'the job wrote its final result before it failed', log, detail);
  }

  const bytes = await readSubmission(deps.storeFor(request.submission.bucket), request, rubric);
  const superseded = record.superseded_by !== undefined && neverRan(detail);
  const { reason, message } = superseded
    ? {
        reason: 'superseded' as const,
        message:
          record.regrade_of === undefined
            ? `Not graded: your newer submission ${record.superseded_by} replaced this one while it was still waiting in the queue, so its job was cancelled.`
            : `Not regraded: your newer submission ${record.superseded_by} replaced this regrade of ${record.regrade_of} while it was still waiting in the queue, so its job was cancelled.`,
      }
    : classifiedFailure(detail, bytes, rubric);
  await writeFailure({ results, state: deps.state, rubric, log }, record, {
    reason,
    message,
    identity: identityOf(request.submission, bytes),
    previous: existing,
  });
  log({ event: 'written', jobId: detail.jobId, resultKey, reason });
  return { status: 'written', resultKey, reason, message };
}

/**
 * Writes a failure result for the record, then makes the record final: the result first, so a
 * record is never final without its result file (a crash between the two is redone by a retry
 * or the sweeper, and writes the same result again).
 */
export async function writeFailure(
  deps: { results: ObjectStore; state: SubmissionStateStore; rubric: Rubric; log: Logger },
  record: SubmissionRecord,
  failure: {
    reason: FailureReason;
    message: string;
    identity: SubmissionIdentity;
    previous?: ResultFile | undefined;
  },
): Promise<ResultFile> {
  const { reason, message, identity, previous } = failure;
  const result = buildFailureResult({
    reason,
    message,
    rubric: deps.rubric,
    identity,
    ...(previous ? { previous } : {}),
  });
  await putResultFile(deps.results, record.result_key, result);
  await finish(
    deps.state,
    record,
    'failed',
    { ...resultFields(result), failure: { reason, message } },
    deps.log,
  );
  return result;
}

/** The record a job's event is about, or why there is none to act on. */
export async function recordOfJob(
  detail: BatchJobDetail,
  state: SubmissionStateStore,
): Promise<
  { request: GradeJobRequest; record: SubmissionRecord; stale?: string } | { ignored: string }
> {
  const request = requestOfJob(detail);
  if (!request) return { ignored: 'the job environment names no submission' };
  if (!request.record) return { ignored: 'the job environment names no submission record' };
  const record = await state.get(request.record.student, request.record.id);
  if (!record) {
    return { ignored: `there is no record ${request.record.student}/${request.record.id}` };
  }
  if (record.status === 'graded' || record.status === 'rejected' || record.status === 'failed') {
    return { request, record, stale: `the submission is already ${record.status}` };
  }
  if (record.job_id !== undefined && detail.jobId !== undefined && record.job_id !== detail.jobId) {
    return { request, record, stale: `job ${record.job_id} now grades this submission` };
  }
  return { request, record };
}

/** True when the job was cancelled before any attempt started (Batch lists no attempts). */
function neverRan(detail: BatchJobDetail): boolean {
  return (detail.attempts ?? []).length === 0;
}

export function statusOfResult(result: ResultFile): 'graded' | 'rejected' | 'failed' {
  return result.extra_data.outcome;
}

export function resultFields(result: ResultFile): {
  score: number;
  max_score: number;
  failure?: { reason: string; message: string };
} {
  const max = result.tests.reduce((sum, test) => sum + (test.max_score ?? 0), 0);
  const failure = result.extra_data.failure;
  return { score: result.score, max_score: max, ...(failure ? { failure: { ...failure } } : {}) };
}

/** Moves the record to its final status; a record someone else finished meanwhile is left. */
export async function finish(
  state: SubmissionStateStore,
  record: SubmissionRecord,
  to: 'graded' | 'rejected' | 'failed',
  set: { score?: number; max_score?: number; failure?: { reason: string; message: string } },
  log: Logger,
): Promise<void> {
  try {
    await state.transition(record.student, record.id, {
      from: ['received', 'claiming', 'queued', 'running'],
      to,
      set,
    });
  } catch (error) {
    if (!(error instanceof TransitionConflictError)) throw error;
    log({
      event: 'already-final',
      student: record.student,
      id: record.id,
      status: error.current.status,
    });
  }
}

function kept(resultKey: string, why: string, log: Logger, detail: BatchJobDetail) {
  log({ event: 'kept', jobId: detail.jobId, resultKey, why });
  return { status: 'kept', resultKey, why } as const;
}

/** The stored result, if there is one that parses as a result file. */
export async function readResult(store: ObjectStore, key: string): Promise<ResultFile | undefined> {
  const bytes = await store.get(key, { maxBytes: 16 * 1024 * 1024 });
  if (!bytes) return undefined;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isResultFile(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function readSubmission(
  store: ObjectStore,
  request: GradeJobRequest,
  rubric: Rubric,
): Promise<Uint8Array | undefined> {
  try {
    return await store.get(request.submission.key, {
      maxBytes: rubric.limits.max_file_bytes,
      ...(request.submission.versionId ? { versionId: request.submission.versionId } : {}),
    });
  } catch (error) {
    // It was accepted, so it fit; if it no longer does, the identity just lacks a checksum.
    if (error instanceof ObjectTooLargeError) return undefined;
    throw error;
  }
}

/** Batch's failure, with what ran out and whether the submission is the likely cause for an OOM. */
function classifiedFailure(
  detail: Parameters<typeof classifyJobFailure>[0],
  bytes: Uint8Array | undefined,
  rubric: Rubric,
): { reason: JobFailureReason; message: string } {
  const classified = classifyJobFailure(detail);
  return classified.reason === 'out_of_memory'
    ? {
        reason: classified.reason,
        message: `${classified.message} ${assessOutOfMemory(bytes, rubric)}`,
      }
    : classified;
}
