import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../storage/index.js';
import { DirectoryJsonSource, S3JsonSource } from './json-sources.js';
import { type DeployedStack, resolveStack } from './stack.js';
import type { JsonSource } from './types.js';

export interface StackClients {
  cloudFormation?: CloudFormationClient;
  s3?: S3Client;
  /** An S3-compatible endpoint (AUTOGRADER_S3_ENDPOINT) when no client is given. */
  s3Endpoint?: string;
}

/** The deployed stack's results bucket as a result source. */
export async function stackJsonSource(
  stackName: string,
  clients: StackClients = {},
): Promise<{ stack: DeployedStack; source: JsonSource }> {
  const stack = await resolveStack(stackName, clients.cloudFormation);
  const s3 =
    clients.s3 ??
    createS3Client(
      clients.s3Endpoint ? { endpoint: clients.s3Endpoint, forcePathStyle: true } : {},
    );
  return { stack, source: new S3JsonSource(s3, stack.resultsBucket, stack.resultsPrefix) };
}

export function directoryJsonSource(dir: string): JsonSource {
  return new DirectoryJsonSource(dir);
}
