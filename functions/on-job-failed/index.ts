import type { EventBridgeEvent } from 'aws-lambda';
import { readLambdaConfig } from '../../src/config.js';
import {
  type AwsClients,
  type BatchJobDetail,
  handleJobFailed,
  type JobFailedDeps,
  type JobFailedOutcome,
  jobFailedDepsFor,
  jsonLog,
  type Logger,
} from '../../src/pipeline/index.js';

export interface OnJobFailedOptions {
  env?: NodeJS.ProcessEnv;
  clients?: AwsClients;
  /** Default: one JSON line per entry on stdout, which Lambda sends to CloudWatch. */
  log?: Logger;
}

export type BatchJobStateChange = EventBridgeEvent<'Batch Job State Change', BatchJobDetail>;

/** EventBridge "Batch Job State Change" with status FAILED: write the result that says why. */
export function makeOnJobFailedHandler(
  options: OnJobFailedOptions = {},
): (event: BatchJobStateChange) => Promise<JobFailedOutcome> {
  let deps: JobFailedDeps | undefined;
  return async (event) => {
    deps ??= jobFailedDepsFor(
      readLambdaConfig(options.env),
      options.clients,
      options.log ?? jsonLog,
    );
    return handleJobFailed(event.detail, deps);
  };
}

export const handler = makeOnJobFailedHandler();
