import { randomUUID } from 'node:crypto';
import type { JobLauncher } from '../launch/index.js';
import { buildRejectedResult, DEFAULT_RUBRIC, type Rubric } from '../rubric/index.js';
import { estimateResources, validateSubmission } from '../spec/index.js';
import type { SpecError, ValidationResult } from '../spec/types.js';
import {
  jobNameFor,
  newRegradeId,
  SUBMISSION_ID_PATTERN,
  type SubmissionRecord,
  type SubmissionStateStore,
  shareIdentifierFor,
  submissionIdFor,
  TransitionConflictError,
  uploadIdentity,
} from '../state/index.js';
import { keyBytes, keyProblem, type ObjectStore, ObjectTooLargeError } from '../storage/index.js';
import { RegradeError } from './errors.js';
import { identityOf } from './identity.js';
import { MAX_SUBMISSION_KEY_BYTES } from './keys.js';
import { putResultFile } from './result-file.js';
import type { IntakeOutcome, Logger, SubmissionRef } from './types.js';

/** How many graded jobs one student may have waiting, and whether a new one replaces them. */
export interface QueuePolicy {
  /** A valid upload beyond this many of the student's queued jobs is rejected. */
  maxQueuedPerStudent: number;
  /** Cancel the student's older jobs that have not started when a new upload is accepted. */
  supersede: boolean;
}

export const DEFAULT_QUEUE_POLICY: QueuePolicy = { maxQueuedPerStudent: 3, supersede: true };

export interface IntakeDeps {
  submissionsBucket: string;
  resultsBucket: string;
  /** The submissions bucket. */
  submissions: ObjectStore;
  /** The results bucket. */
  results: ObjectStore;
  /** The submission records. */
  state: SubmissionStateStore;
  launcher: JobLauncher;
  /**
   * How long a claim lasts: no shorter than the longest this intake can live (the Lambda's
   * timeout), so a lease only expires once its holder is surely gone. Default 60 s.
   */
  leaseMs?: number;
  /** Names this intake in the lease (the Lambda request id); default a random id per call. */
  owner?: () => string;
  queue?: QueuePolicy;
  rubric?: Rubric;
  validate?: (bytes: Uint8Array, rubric: Rubric) => ValidationResult;
  now?: () => number;
  log?: Logger;
}

const DEFAULT_LEASE_MS = 60_000;

/**
 * Handles one uploaded object: claims its record, reads it (size-capped), validates it, then
 * either writes the rejected result or starts one grading job.
 *
 * S3 delivers events at least once, and a Lambda can die anywhere. The claim is a lease on the
 * upload's record (conditional writes in the state store), not a lock: a later delivery finds
 * the record past intake and stops; one that finds a live lease is retried; one that finds an
 * expired lease (its holder timed out, ran out of memory, was killed) takes the upload over.
 * The job name is derived from the submission id and looked up before SubmitJob, so a takeover
 * after a submit whose answer was lost finds that job instead of starting a second.
 *
 * Why conditional writes of our own rather than Powertools' idempotency utility: that utility
 * caches a handler's response per payload hash in a table of its own, with an in-progress
 * expiry. Here the record it would guard *is* the product's data (the API and the sweeper read
 * it, statuses must move forward, staff look up job ids in it), it must also work on files in
 * the local flow, and one S3 event can carry several uploads. A lease on the record itself gives
 * the same guarantee with one source of truth.
 */
export async function handleSubmission(
  ref: SubmissionRef,
  deps: IntakeDeps,
): Promise<IntakeOutcome> {
  const log = deps.log ?? (() => {});
  if (ref.bucket !== deps.submissionsBucket) {
    return ignored(ref, `it is in bucket ${ref.bucket}, not ${deps.submissionsBucket}`, log);
  }
  const identified = submissionIdFor(ref);
  if ('notASubmission' in identified) return ignored(ref, identified.notASubmission, log);
  return claimAndHandle(ref, identified, deps);
}

/**
 * Intake again for a record whose intake never finished (the sweeper's re-drive): a received
 * record whose event never came, or a claim whose holder died.
 */
export function resumeIntake(record: SubmissionRecord, deps: IntakeDeps): Promise<IntakeOutcome> {
  const ref: SubmissionRef = {
    bucket: record.object.bucket,
    key: record.object.key,
    ...(record.object.version_id ? { versionId: record.object.version_id } : {}),
  };
  return claimAndHandle(
    ref,
    { student: record.student, id: record.id, upload: record.object.upload ?? uploadIdentity(ref) },
    deps,
  );
}

/** What a staff regrade asks for: grade this upload again, as a submission of its own. */
export interface RegradeRequest {
  student: string;
  /** The upload to grade again: the exact version when the bucket is versioned. */
  object: { bucket: string; key: string; versionId?: string };
  /** The id of the submission being graded again (recorded as regrade_of). */
  regradeOf: string;
  /** The regrade's own id; default newRegradeId at intake's clock. */
  id?: string;
}

/**
 * A staff regrade through the same path as an upload: registers a new record (a new id, marked
 * regrade_of, pointing at the same object and version), then claims it and runs intake on it
 * exactly as for an upload. The regrade's job, status and result key are its own, so the
 * original's record and result are never touched, and on-job-state, the sweeper and the
 * student's history treat it like any other submission. Two differences, both because staff
 * asked for it rather than the student: the per-student cap does not refuse it, and it does
 * not cancel the student's own waiting jobs (a newer upload of the student's does supersede a
 * waiting regrade, as it would any older submission).
 */
export async function startRegrade(
  request: RegradeRequest,
  deps: IntakeDeps,
): Promise<IntakeOutcome> {
  const now = deps.now ?? Date.now;
  const id = request.id ?? newRegradeId(now());
  for (const [what, value] of [
    ['regrade id', id],
    ['id of the regraded submission', request.regradeOf],
  ] as const) {
    if (!SUBMISSION_ID_PATTERN.test(value)) {
      throw new RegradeError(
        `"${value}" is not a valid ${what} (letters, digits, "-", "_"; at most 56)`,
      );
    }
  }
  const ref: SubmissionRef = {
    bucket: request.object.bucket,
    key: request.object.key,
    ...(request.object.versionId ? { versionId: request.object.versionId } : {}),
  };
  const { created, record } = await deps.state.register({
    student: request.student,
    id,
    object: {
      bucket: ref.bucket,
      key: ref.key,
      ...(ref.versionId ? { version_id: ref.versionId } : {}),
    },
    submitted_at: new Date(now()).toISOString(),
    regrade_of: request.regradeOf,
  });
  if (!created && record.regrade_of !== request.regradeOf) {
    throw new RegradeError(`submission id ${request.student}/${id} is taken by another submission`);
  }
  return claimAndHandle(ref, { student: request.student, id, upload: uploadIdentity(ref) }, deps);
}

async function claimAndHandle(
  ref: SubmissionRef,
  identified: { student: string; id: string; fallbackId?: string; upload: string },
  deps: IntakeDeps,
): Promise<IntakeOutcome> {
  const log = deps.log ?? (() => {});
  const { student, upload } = identified;
  const owner = deps.owner?.() ?? randomUUID();
  const object = {
    bucket: ref.bucket,
    key: ref.key,
    ...(ref.versionId ? { version_id: ref.versionId } : {}),
    upload,
  };
  const claimAs = (id: string) =>
    deps.state.claim({ student, id, object, owner, lease_ms: deps.leaseMs ?? DEFAULT_LEASE_MS });
  let claim = await claimAs(identified.id);
  if (!claim.claimed && claim.why === 'other-upload' && identified.fallbackId) {
    claim = await claimAs(identified.fallbackId);
  }
  const base = { submission: ref, student, id: claim.record.id };
  if (!claim.claimed) {
    const { record } = claim;
    if (claim.why === 'held') {
      const leaseExpiresAt = record.lease?.expires_at ?? record.updated_at;
      log({ event: 'in-progress', student, id: record.id, lease: record.lease });
      return { ...base, status: 'in-progress', leaseExpiresAt };
    }
    if (claim.why === 'other-upload') {
      // Only a derived id can collide with another upload: a 48-bit hash collision.
      throw new Error(`submission id ${student}/${record.id} belongs to another upload`);
    }
    log({ event: 'duplicate', student, id: record.id, recordStatus: record.status });
    return { ...base, status: 'duplicate' };
  }

  const record = claim.record;
  if (claim.takeover)
    log({ event: 'takeover', student, id: record.id, attempt: record.intake_attempts });
  let outcome: IntakeOutcome;
  try {
    outcome = await readValidateLaunch(ref, record, owner, deps);
  } catch (error) {
    // Let the retry take the upload at once instead of waiting for the lease to expire.
    try {
      await deps.state.releaseLease(student, record.id, owner);
    } catch (releaseError) {
      log({ event: 'lease-release-failed', student, id: record.id, error: String(releaseError) });
    }
    throw error;
  }
  log({ event: outcome.status, student, id: record.id, key: ref.key, ...details(outcome) });
  const byStudent = record.regrade_of === undefined;
  if (
    outcome.status === 'launched' &&
    byStudent &&
    (deps.queue ?? DEFAULT_QUEUE_POLICY).supersede
  ) {
    await supersedeOlder(record, outcome.jobId, deps, log);
  }
  return outcome;
}

function details(outcome: IntakeOutcome): Record<string, unknown> {
  switch (outcome.status) {
    case 'launched':
      return { jobId: outcome.jobId, resultKey: outcome.resultKey };
    case 'rejected':
      return { resultKey: outcome.resultKey, errors: outcome.errors.length };
    default:
      return {};
  }
}

/** Why intake refuses this key before reading it, if it does. */
function keyRejection(key: string): string | undefined {
  const problem = keyProblem(key);
  if (problem !== undefined) return `the file name cannot be stored: ${problem}`;
  if (keyBytes(key) > MAX_SUBMISSION_KEY_BYTES) {
    return `the object key is ${keyBytes(key)} bytes long; submission keys may be at most ${MAX_SUBMISSION_KEY_BYTES}`;
  }
  if (!key.endsWith('.json')) return 'a submission is a JSON file whose name ends in ".json"';
  return undefined;
}

async function readValidateLaunch(
  ref: SubmissionRef,
  record: SubmissionRecord,
  owner: string,
  deps: IntakeDeps,
): Promise<IntakeOutcome> {
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const now = deps.now ?? Date.now;
  const started = now();
  const { student, id, result_key: resultKey } = record;
  const base = { submission: ref, student, id };
  const reject = async (errors: SpecError[], bytes: Uint8Array | undefined) => {
    const result = buildRejectedResult({
      errors,
      rubric,
      identity: identityOf(ref, bytes),
      executionTime: (now() - started) / 1000,
    });
    // The result first: if intake dies before the record says "rejected", the retry writes
    // the same rejection again; a record is never final without its result file.
    await putResultFile(deps.results, resultKey, result);
    await deps.state.transition(student, id, {
      from: ['claiming'],
      to: 'rejected',
      owner,
      set: { score: result.score, max_score: maxScore(rubric) },
    });
    return { ...base, status: 'rejected', resultKey, errors } as const;
  };

  const keyIssue = keyRejection(ref.key);
  if (keyIssue !== undefined) return reject([{ path: '', message: keyIssue }], undefined);

  let bytes: Uint8Array | undefined;
  try {
    bytes = await deps.submissions.get(ref.key, {
      maxBytes: rubric.limits.max_file_bytes,
      ...(ref.versionId ? { versionId: ref.versionId } : {}),
    });
  } catch (error) {
    if (!(error instanceof ObjectTooLargeError)) throw error;
    const size = error.size === undefined ? 'larger than that' : `${error.size} bytes`;
    return reject(
      [
        {
          path: '',
          message: `the file is ${size}; submissions may be at most ${rubric.limits.max_file_bytes} bytes`,
        },
      ],
      undefined,
    );
  }
  if (bytes === undefined) {
    return reject(
      [
        {
          path: '',
          message:
            'the file was not there when it was read (deleted, or its upload never finished); upload it again',
        },
      ],
      undefined,
    );
  }

  const validation = (deps.validate ?? validateSubmission)(bytes, rubric);
  if (!validation.valid) return reject(validation.errors, bytes);

  const policy = deps.queue ?? DEFAULT_QUEUE_POLICY;
  // The cap limits what the student queues: staff regrades neither count nor are refused.
  const capped = !policy.supersede && record.regrade_of === undefined;
  const waiting = capped
    ? (await deps.state.listByStudent(student)).filter(
        (other) =>
          other.id !== id &&
          other.status === 'queued' &&
          !other.superseded_by &&
          other.regrade_of === undefined,
      )
    : [];
  if (capped && waiting.length >= policy.maxQueuedPerStudent) {
    return reject(
      [
        {
          path: '',
          message: `you already have ${waiting.length} submissions waiting to be graded (at most ${policy.maxQueuedPerStudent}); upload again once one has its result`,
        },
      ],
      bytes,
    );
  }

  const jobName = jobNameFor(student, id);
  // The name goes into the record before the job exists, so anyone finding this record stuck
  // in "claiming" can look the job up by it.
  await deps.state.transition(student, id, {
    from: ['claiming'],
    to: 'claiming',
    owner,
    set: { job_name: jobName },
  });
  const job = await deps.launcher.launch({
    submission: {
      bucket: ref.bucket,
      key: ref.key,
      ...(ref.versionId ? { versionId: ref.versionId } : {}),
    },
    result: { bucket: deps.resultsBucket, key: resultKey },
    trainingWork: estimateResources(validation.submission, validation.experiments, rubric)
      .trainingMacs,
    record: { student, id },
    jobName,
    shareIdentifier: shareIdentifierFor(student),
  });
  await deps.state.transition(student, id, {
    from: ['claiming'],
    to: 'queued',
    owner,
    set: { job_id: job.id },
  });
  return { ...base, status: 'launched', resultKey, jobId: job.id };
}

function maxScore(rubric: Rubric): number {
  return rubric.tasks.reduce((sum, task) => sum + task.points, 0);
}

/**
 * A newer accepted upload replaces the student's older ones still waiting in the queue: their
 * records say so, and their jobs are cancelled. The cancelled job's FAILED event writes its
 * result ("superseded"), so each still ends with exactly one result; a job that started in the
 * meantime is not stopped, and grades as usual.
 */
async function supersedeOlder(
  newer: SubmissionRecord,
  newerJobId: string,
  deps: IntakeDeps,
  log: Logger,
): Promise<void> {
  const older = (await deps.state.listByStudent(newer.student)).filter(
    (record) =>
      record.id !== newer.id &&
      record.status === 'queued' &&
      record.job_id !== undefined &&
      record.job_id !== newerJobId &&
      !record.superseded_by &&
      record.submitted_at <= newer.submitted_at,
  );
  for (const record of older) {
    try {
      await deps.state.transition(record.student, record.id, {
        from: ['queued'],
        to: 'queued',
        set: { superseded_by: newer.id },
      });
      await deps.launcher.cancel?.(
        record.job_id ?? '',
        `superseded by the newer submission ${newer.id}`,
      );
      log({ event: 'superseded', student: record.student, id: record.id, by: newer.id });
    } catch (error) {
      // It started, finished or was handled meanwhile: it simply runs on and grades.
      if (!(error instanceof TransitionConflictError)) {
        log({ event: 'supersede-failed', id: record.id, error: String(error) });
      }
    }
  }
}

function ignored(ref: SubmissionRef, reason: string, log: Logger): IntakeOutcome {
  log({ event: 'ignored', key: ref.key, reason });
  return { status: 'ignored', submission: ref, reason };
}
