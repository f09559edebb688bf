import type { Context, S3Event } from 'aws-lambda';
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
): (event: S3Event, context?: Pick<Context, 'awsRequestId'>) => Promise<IntakeOutcome[]> {
  // Built on the first event, not at import: configuration errors surface in the invocation.
  let deps: IntakeDeps | undefined;
  return async (event, context) => {
    deps ??= intakeDepsFor(readLambdaConfig(options.env), options.clients, options.log ?? jsonLog);
    // Lambda retries an async invocation under the same request id: the retry of an invocation
    // that died renews its own lease at once instead of waiting for it to expire.
    const owner = context?.awsRequestId;
    return handleS3Event(event, owner ? { ...deps, owner: () => owner } : deps);
  };
}

export const handler = makeOnSubmissionHandler();
