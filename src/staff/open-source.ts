import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../storage/index.js';
import { DirectoryResultSource, S3ResultSource } from './result-sources.js';
import { type DeployedStack, resolveStack } from './stack.js';
import type { ResultSource } from './types.js';

export interface StackClients {
  cloudFormation?: CloudFormationClient;
  s3?: S3Client;
  /** An S3-compatible endpoint (AUTOGRADER_S3_ENDPOINT) when no client is given. */
  s3Endpoint?: string;
}

/** The deployed stack's results bucket as a result source. */
export async function stackResultSource(
  stackName: string,
  clients: StackClients = {},
): Promise<{ stack: DeployedStack; source: ResultSource }> {
  const stack = await resolveStack(stackName, clients.cloudFormation);
  const s3 =
    clients.s3 ??
    createS3Client(
      clients.s3Endpoint ? { endpoint: clients.s3Endpoint, forcePathStyle: true } : {},
    );
  return { stack, source: new S3ResultSource(s3, stack.resultsBucket, stack.resultsPrefix) };
}

export function directoryResultSource(dir: string): ResultSource {
  return new DirectoryResultSource(dir);
}
