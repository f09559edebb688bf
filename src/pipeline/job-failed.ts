import { type GradeJobRequest, parseJobEnvironment } from '../launch/index.js';
import {
  buildFailureResult,
  DEFAULT_RUBRIC,
  isFinalResult,
  isResultFile,
  type ResultFile,
  type Rubric,
} from '../rubric/index.js';
import { type ObjectStore, ObjectTooLargeError } from '../storage/index.js';
import { EventShapeError } from './errors.js';
import { identityOf } from './identity.js';
import { submissionSource } from './keys.js';
import { assessOutOfMemory } from './out-of-memory.js';
import { putResultFile } from './result-file.js';
import type { JobFailedOutcome, JobFailureReason, Logger } from './types.js';

/** The fields of EventBridge's "Batch Job State Change" detail that say what failed and why. */
export interface BatchJobDetail {
  jobId?: string;
  jobName?: string;
  status?: string;
  statusReason?: string;
  container?: BatchContainerDetail;
  attempts?: { statusReason?: string; container?: { exitCode?: number; reason?: string } }[];
}

interface BatchContainerDetail {
  exitCode?: number;
  reason?: string;
  environment?: { name?: string; value?: string }[];
}

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
  const vars: Record<string, string | undefined> = {};
  for (const entry of detail.container?.environment ?? []) {
    if (entry.name) vars[entry.name] = entry.value;
  }
  try {
    return parseJobEnvironment(vars);
  } catch {
    return undefined;
  }
}

export interface JobFailedDeps {
  /** The buckets by name: the job's environment names the ones it used. */
  storeFor: (bucket: string) => ObjectStore;
  rubric?: Rubric;
  log?: Logger;
}

/**
 * Writes the result of a job that failed for good, unless that would lose information:
 * - the job's own final result stands (the grader writes one even when it then exits non-zero);
 * - a checkpoint the job wrote keeps the scores of what finished;
 * - if the student has since replaced the submission, its newer job owns the result file.
 */
export async function handleJobFailed(
  detail: BatchJobDetail,
  deps: JobFailedDeps,
): Promise<JobFailedOutcome> {
  const log = deps.log ?? (() => {});
  if (detail.status !== undefined && detail.status !== 'FAILED') {
    throw new EventShapeError(`the job's status is ${detail.status}, not FAILED`);
  }
  const request = requestOfFailedJob(detail);
  if (!request) {
    const why = 'the job environment names no submission';
    log({ event: 'ignored', jobId: detail.jobId, why });
    return { status: 'ignored', why };
  }
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const results = deps.storeFor(request.result.bucket);
  const submissions = deps.storeFor(request.submission.bucket);
  const resultKey = request.result.key;
  const source = submissionSource(request.submission);

  const existing = await readResult(results, resultKey);
  const existingSource = existing?.extra_data.submission.source;
  if (existing && existingSource === source && isFinalResult(existing)) {
    return kept(resultKey, 'the job wrote its final result before it failed', log, detail);
  }
  const bytes = await readSubmission(submissions, request, rubric);
  if (existing && existingSource !== source && (await replacedSince(submissions, request, bytes))) {
    return kept(resultKey, 'the submission was replaced by a newer upload', log, detail);
  }

  const classified = classifyJobFailure(detail);
  const { reason } = classified;
  const message =
    reason === 'out_of_memory'
      ? `${classified.message} ${assessOutOfMemory(bytes, rubric)}`
      : classified.message;
  const result = buildFailureResult({
    reason,
    message,
    rubric,
    identity: identityOf(request.submission, bytes),
    ...(existing && existingSource === source ? { previous: existing } : {}),
  });
  await putResultFile(results, resultKey, result);
  log({ event: 'written', jobId: detail.jobId, resultKey, reason });
  return { status: 'written', resultKey, reason, message };
}

function kept(resultKey: string, why: string, log: Logger, detail: BatchJobDetail) {
  log({ event: 'kept', jobId: detail.jobId, resultKey, why });
  return { status: 'kept', resultKey, why } as const;
}

/** The stored result, if there is one that parses as a result file. */
async function readResult(store: ObjectStore, key: string): Promise<ResultFile | undefined> {
  const bytes = await store.get(key, { maxBytes: 16 * 1024 * 1024 });
  if (!bytes) return undefined;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isResultFile(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function readSubmission(
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

/** True when the key's latest version differs from the failed job's (a newer upload). */
async function replacedSince(
  store: ObjectStore,
  request: GradeJobRequest,
  failedBytes: Uint8Array | undefined,
): Promise<boolean> {
  if (!request.submission.versionId) return false;
  let latest: Uint8Array | undefined;
  try {
    latest = await store.get(request.submission.key, { maxBytes: 16 * 1024 * 1024 });
  } catch (error) {
    if (error instanceof ObjectTooLargeError) return true;
    throw error;
  }
  if (!latest || !failedBytes) return latest !== undefined;
  return Buffer.compare(Buffer.from(latest), Buffer.from(failedBytes)) !== 0;
}
