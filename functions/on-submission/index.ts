import type { S3Event } from 'aws-lambda';
import { readLambdaConfig } from '../../src/config.js';
import {
  type AwsClients,
  handleS3Event,
  type IntakeDeps,
  type IntakeOutcome,
  intakeDepsFor,
  jsonLog,
  type Logger,
} from '../../src/pipeline/index.js';

export interface OnSubmissionOptions {
  env?: NodeJS.ProcessEnv;
  clients?: AwsClients;
  /** Default: one JSON line per entry on stdout, which Lambda sends to CloudWatch. */
  log?: Logger;
}

/** S3 ObjectCreated under submissions/: validate, then write the rejection or start one job. */
export function makeOnSubmissionHandler(
  options: OnSubmissionOptions = {},
): (event: S3Event) => Promise<IntakeOutcome[]> {
  // Built on the first event, not at import: configuration errors surface in the invocation.
  let deps: IntakeDeps | undefined;
  return async (event) => {
    deps ??= intakeDepsFor(readLambdaConfig(options.env), options.clients, options.log ?? jsonLog);
    return handleS3Event(event, deps);
  };
}

export const handler = makeOnSubmissionHandler();
