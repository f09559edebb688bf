import { JobEnvironmentError } from './errors.js';
import type { GradeJobRequest } from './types.js';

/**
 * The variables that tell a grading job what to grade. Every launcher passes them the same way,
 * and the job-state handlers read them back from Batch's answers, so the names live here once.
 */
export const JOB_ENV = {
  submissionBucket: 'AUTOGRADER_SUBMISSION_BUCKET',
  submissionKey: 'AUTOGRADER_SUBMISSION_KEY',
  submissionVersion: 'AUTOGRADER_SUBMISSION_VERSION',
  resultBucket: 'AUTOGRADER_RESULT_BUCKET',
  resultKey: 'AUTOGRADER_RESULT_KEY',
  student: 'AUTOGRADER_STUDENT',
  submissionId: 'AUTOGRADER_SUBMISSION_ID',
} as const;

export function jobEnvironment(request: GradeJobRequest): Record<string, string> {
  return {
    [JOB_ENV.submissionBucket]: request.submission.bucket,
    [JOB_ENV.submissionKey]: request.submission.key,
    ...(request.submission.versionId
      ? { [JOB_ENV.submissionVersion]: request.submission.versionId }
      : {}),
    [JOB_ENV.resultBucket]: request.result.bucket,
    [JOB_ENV.resultKey]: request.result.key,
    ...(request.record
      ? {
          [JOB_ENV.student]: request.record.student,
          [JOB_ENV.submissionId]: request.record.id,
        }
      : {}),
  };
}

/** The request a job's variables describe; names each one that is missing. */
export function parseJobEnvironment(vars: Record<string, string | undefined>): GradeJobRequest {
  const required = (name: string): string => {
    const value = vars[name]?.trim();
    if (!value) throw new JobEnvironmentError(`the job environment lacks ${name}`);
    return value;
  };
  const versionId = vars[JOB_ENV.submissionVersion]?.trim();
  const student = vars[JOB_ENV.student]?.trim();
  const id = vars[JOB_ENV.submissionId]?.trim();
  return {
    submission: {
      bucket: required(JOB_ENV.submissionBucket),
      key: required(JOB_ENV.submissionKey),
      ...(versionId ? { versionId } : {}),
    },
    result: { bucket: required(JOB_ENV.resultBucket), key: required(JOB_ENV.resultKey) },
    ...(student && id ? { record: { student, id } } : {}),
  };
}

/** The environment list of a job detail as a request, or undefined when it is not a grading job. */
export function requestOfJob(detail: {
  container?: { environment?: { name?: string; value?: string }[] };
}): GradeJobRequest | undefined {
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
