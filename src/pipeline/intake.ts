import type { JobLauncher } from '../launch/index.js';
import { buildRejectedResult, DEFAULT_RUBRIC, type Rubric } from '../rubric/index.js';
import { estimateResources, validateSubmission } from '../spec/index.js';
import type { SpecError, ValidationResult } from '../spec/types.js';
import { type ObjectStore, ObjectTooLargeError } from '../storage/index.js';
import { identityOf } from './identity.js';
import { claimKeyFor, resultKeyFor, submissionPath } from './keys.js';
import { putResultFile } from './result-file.js';
import type { IntakeOutcome, Logger, SubmissionRef } from './types.js';

export interface IntakeDeps {
  submissionsBucket: string;
  resultsBucket: string;
  /** The submissions bucket. */
  submissions: ObjectStore;
  /** The results bucket: result files and claims. */
  results: ObjectStore;
  launcher: JobLauncher;
  rubric?: Rubric;
  validate?: (bytes: Uint8Array, rubric: Rubric) => ValidationResult;
  now?: () => number;
  log?: Logger;
}

const JSON_TYPE = 'application/json';

/**
 * Handles one uploaded object: claims it, reads it (size-capped), validates it, then either
 * writes the rejected result or starts one grading job.
 *
 * S3 delivers events at least once. The first delivery claims the upload with a conditional
 * put (If-None-Match: *) of claims/<key>/<version>.json; later deliveries find the claim and
 * stop, so one upload starts at most one job. If reading, writing the rejection or starting
 * the job fails, the claim is removed and the error rethrown, so Lambda's retry (or, after
 * the retries, the failure queue) still has the upload: nothing is silently dropped.
 */
export async function handleSubmission(
  ref: SubmissionRef,
  deps: IntakeDeps,
): Promise<IntakeOutcome> {
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => {});
  const started = now();

  if (ref.bucket !== deps.submissionsBucket) {
    return ignored(ref, `it is in bucket ${ref.bucket}, not ${deps.submissionsBucket}`, log);
  }
  const where = submissionPath(ref.key);
  if ('notASubmission' in where) return ignored(ref, where.notASubmission, log);

  const claimKey = claimKeyFor(ref);
  const claim = (extra: Record<string, unknown>) =>
    JSON.stringify({ submission: ref, claimedAt: new Date(now()).toISOString(), ...extra });
  const claimed = await deps.results.put(claimKey, claim({}), {
    contentType: JSON_TYPE,
    ifNoneMatch: true,
  });
  if (!claimed) {
    log({ event: 'duplicate', key: ref.key, versionId: ref.versionId, claim: claimKey });
    return { status: 'duplicate', submission: ref };
  }

  const resultKey = resultKeyFor(ref.key);
  let outcome: IntakeOutcome;
  try {
    outcome = await readValidateLaunch(ref, resultKey, rubric, deps, started);
  } catch (error) {
    // Nothing durable happened for this upload: free the claim so the retry can take it.
    try {
      await deps.results.delete(claimKey);
    } catch (releaseError) {
      log({ event: 'claim-release-failed', claim: claimKey, error: String(releaseError) });
    }
    throw error;
  }
  if (outcome.status === 'launched') {
    try {
      // Records which job the upload became, for staff tracing a submission.
      await deps.results.put(claimKey, claim({ jobId: outcome.jobId }), {
        contentType: JSON_TYPE,
      });
    } catch (error) {
      log({ event: 'claim-update-failed', claim: claimKey, error: String(error) });
    }
  }
  log({ event: outcome.status, key: ref.key, versionId: ref.versionId, ...details(outcome) });
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

async function readValidateLaunch(
  ref: SubmissionRef,
  resultKey: string,
  rubric: Rubric,
  deps: IntakeDeps,
  started: number,
): Promise<IntakeOutcome> {
  const now = deps.now ?? Date.now;
  const reject = async (errors: SpecError[], bytes: Uint8Array | undefined) => {
    const result = buildRejectedResult({
      errors,
      rubric,
      identity: identityOf(ref, bytes),
      executionTime: (now() - started) / 1000,
    });
    await putResultFile(deps.results, resultKey, result);
    return { status: 'rejected', submission: ref, resultKey, errors } as const;
  };

  if (!ref.key.endsWith('.json')) {
    return reject(
      [{ path: '', message: 'a submission is a JSON file whose name ends in ".json"' }],
      undefined,
    );
  }

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
  // Deleted before it could be read: nothing to grade, and a retry would find the same.
  if (bytes === undefined) return { status: 'missing', submission: ref };

  const validation = (deps.validate ?? validateSubmission)(bytes, rubric);
  if (!validation.valid) return reject(validation.errors, bytes);

  const job = await deps.launcher.launch({
    submission: {
      bucket: ref.bucket,
      key: ref.key,
      ...(ref.versionId ? { versionId: ref.versionId } : {}),
    },
    result: { bucket: deps.resultsBucket, key: resultKey },
    trainingWork: estimateResources(validation.submission, validation.experiments, rubric)
      .trainingMacs,
  });
  return { status: 'launched', submission: ref, resultKey, jobId: job.id };
}

function ignored(ref: SubmissionRef, reason: string, log: Logger): IntakeOutcome {
  log({ event: 'ignored', key: ref.key, reason });
  return { status: 'ignored', submission: ref, reason };
}
