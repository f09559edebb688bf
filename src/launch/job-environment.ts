import { JobEnvironmentError } from './errors.js';
import type { GradeJobRequest } from './types.js';

/**
 * The variables that tell one grading job what to grade and where its result goes. Every
 * launcher passes them the same way, and on-job-failed reads them back from the Batch event, so
 * the names live here once. Each name says it is this job's own (JOB_SUBMISSION, JOB_RESULT),
 * so none is one letter away from the stack's bucket variables (PIPELINE_ENV in src/config.ts).
 */
export const JOB_ENV = {
  submissionBucket: 'AUTOGRADER_JOB_SUBMISSION_BUCKET',
  submissionKey: 'AUTOGRADER_JOB_SUBMISSION_KEY',
  submissionVersion: 'AUTOGRADER_JOB_SUBMISSION_VERSION',
  resultBucket: 'AUTOGRADER_JOB_RESULT_BUCKET',
  resultKey: 'AUTOGRADER_JOB_RESULT_KEY',
  student: 'AUTOGRADER_JOB_STUDENT',
  submissionId: 'AUTOGRADER_JOB_SUBMISSION_ID',
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
