import { DEFAULT_RUBRIC, isFinalResult } from '../rubric/index.js';
import { TransitionConflictError } from '../state/index.js';
import { identityOf } from './identity.js';
import {
  type BatchJobDetail,
  finish,
  handleJobFailed,
  type JobFailedDeps,
  readResult,
  readSubmission,
  recordOfJob,
  resultFields,
  statusOfResult,
  writeFailure,
} from './job-failed.js';
import type { JobStateOutcome } from './types.js';

export type JobStateDeps = JobFailedDeps;

/**
 * One grading job's state change, from EventBridge (Batch) or a local launcher: RUNNING moves
 * the record to "running"; SUCCEEDED and FAILED make it final, with exactly one result file.
 * Other statuses are not acted on.
 */
export async function handleJobStateChange(
  detail: BatchJobDetail,
  deps: JobStateDeps,
): Promise<JobStateOutcome> {
  switch (detail.status) {
    case 'RUNNING':
      return markRunning(detail, deps);
    case 'SUCCEEDED':
      return handleJobSucceeded(detail, deps);
    case 'FAILED':
      return handleJobFailed(detail, deps);
    default:
      return { status: 'ignored', why: `status ${detail.status ?? '(none)'} needs no action` };
  }
}

async function markRunning(detail: BatchJobDetail, deps: JobStateDeps): Promise<JobStateOutcome> {
  const found = await recordOfJob(detail, deps.state);
  if ('ignored' in found) return { status: 'ignored', why: found.ignored };
  const { record } = found;
  if (found.stale) return { status: 'kept', resultKey: record.result_key, why: found.stale };
  try {
    await deps.state.transition(record.student, record.id, { from: ['queued'], to: 'running' });
  } catch (error) {
    if (!(error instanceof TransitionConflictError)) throw error;
    return { status: 'kept', resultKey: record.result_key, why: `it is ${error.current.status}` };
  }
  deps.log?.({ event: 'running', student: record.student, id: record.id, jobId: detail.jobId });
  return {
    status: 'recorded',
    student: record.student,
    id: record.id,
    to: 'running',
    resultKey: record.result_key,
  };
}

/**
 * A job that exited 0 wrote its final result: the record takes that result's status and
 * score. A job that exited 0 without a final result (it should not happen) gets a failure.
 */
async function handleJobSucceeded(
  detail: BatchJobDetail,
  deps: JobStateDeps,
): Promise<JobStateOutcome> {
  const log = deps.log ?? (() => {});
  const found = await recordOfJob(detail, deps.state);
  if ('ignored' in found) return { status: 'ignored', why: found.ignored };
  const { record, request } = found;
  const resultKey = record.result_key;
  if (found.stale) return { status: 'kept', resultKey, why: found.stale };
  const results = deps.storeFor(request.result.bucket);
  const stored = await readResult(results, resultKey);
  if (stored && isFinalResult(stored)) {
    const to = statusOfResult(stored);
    await finish(deps.state, record, to, resultFields(stored), log);
    log({ event: to, student: record.student, id: record.id, score: stored.score });
    return { status: 'recorded', student: record.student, id: record.id, to, resultKey };
  }
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const bytes = await readSubmission(deps.storeFor(request.submission.bucket), request, rubric);
  const message = 'The grader exited without writing its final result.';
  await writeFailure({ results, state: deps.state, rubric, log }, record, {
    reason: 'crash',
    message,
    identity: identityOf(request.submission, bytes),
    previous: stored,
  });
  return { status: 'written', resultKey, reason: 'crash', message };
}
