import type { BatchClient } from '@aws-sdk/client-batch';
import { HeadObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { BatchLauncher } from '../launch/index.js';
import { StaffCommandError } from './errors.js';
import { type RegradeTarget, regradeResultKey } from './regrade.js';
import type { DeployedStack } from './stack.js';

export interface StackRegradeDeps {
  s3: S3Client;
  batch?: BatchClient;
  now?: () => Date;
}

/** A regrade job the stack accepted. */
export interface SubmittedRegrade {
  target: RegradeTarget;
  submissionKey: string;
  versionId?: string;
  resultKey: string;
  jobId: string;
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound')
  );
}

/**
 * Submits one grading job per target to the stack's Batch queue, exactly as an upload's job is
 * started: the job reads that version of the submission and writes a new result key. A job that
 * fails for good gets its failure result from on-job-failed, which reads the key from the job.
 */
export async function regradeOnStack(
  stack: DeployedStack,
  targets: readonly RegradeTarget[],
  deps: StackRegradeDeps,
): Promise<SubmittedRegrade[]> {
  const launcher = new BatchLauncher({
    jobQueue: stack.jobQueueArn,
    jobDefinition: stack.jobDefinitionArn,
    ...(deps.batch ? { client: deps.batch } : {}),
  });
  const now = deps.now ?? (() => new Date());
  const resultExists = async (key: string): Promise<boolean> => {
    try {
      await deps.s3.send(
        new HeadObjectCommand({ Bucket: stack.resultsBucket, Key: `${stack.resultsPrefix}${key}` }),
      );
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  };
  const submitted: SubmittedRegrade[] = [];
  for (const target of targets) {
    const submissionKey = `${stack.uploadPrefix}${target.key}`;
    let versionId: string | undefined;
    try {
      const head = await deps.s3.send(
        new HeadObjectCommand({ Bucket: stack.submissionsBucket, Key: submissionKey }),
      );
      versionId = head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined;
    } catch (error) {
      throw new StaffCommandError(
        `cannot read s3://${stack.submissionsBucket}/${submissionKey}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const resultKey = await regradeResultKey(target.key, now(), resultExists);
    const job = await launcher.launch({
      submission: {
        bucket: stack.submissionsBucket,
        key: submissionKey,
        ...(versionId ? { versionId } : {}),
      },
      result: { bucket: stack.resultsBucket, key: `${stack.resultsPrefix}${resultKey}` },
    });
    submitted.push({
      target,
      submissionKey,
      ...(versionId ? { versionId } : {}),
      resultKey: `${stack.resultsPrefix}${resultKey}`,
      jobId: job.id,
    });
  }
  return submitted;
}
