import type { S3Event } from 'aws-lambda';
import { readLambdaConfig } from '../../src/config.js';
import {
  type AwsClients,
  handleS3Event,
  type IntakeDeps,
  type IntakeOutcome,
  intakeDepsFor,
  jsonLog,
} from '../../src/pipeline/index.js';

export interface OnSubmissionOptions {
  env?: NodeJS.ProcessEnv;
  clients?: AwsClients;
}

/** S3 ObjectCreated under submissions/: validate, then write the rejection or start one job. */
export function makeOnSubmissionHandler(
  options: OnSubmissionOptions = {},
): (event: S3Event) => Promise<IntakeOutcome[]> {
  // Built on the first event, not at import: configuration errors surface in the invocation.
  let deps: IntakeDeps | undefined;
  return (event) => {
    deps ??= intakeDepsFor(readLambdaConfig(options.env), options.clients, jsonLog);
    return handleS3Event(event, deps);
  };
}

export const handler = makeOnSubmissionHandler();
