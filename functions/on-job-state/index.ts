import type { EventBridgeEvent } from 'aws-lambda';
import { readLambdaConfig } from '../../src/config.js';
import {
  type AwsClients,
  type BatchJobDetail,
  handleJobStateChange,
  type JobFailedDeps,
  type JobStateOutcome,
  jobFailedDepsFor,
  jsonLog,
  type Logger,
} from '../../src/pipeline/index.js';

export interface OnJobStateOptions {
  env?: NodeJS.ProcessEnv;
  clients?: AwsClients;
  /** Default: one JSON line per entry on stdout, which Lambda sends to CloudWatch. */
  log?: Logger;
}

export type BatchJobStateChange = EventBridgeEvent<'Batch Job State Change', BatchJobDetail>;

/**
 * EventBridge "Batch Job State Change" (RUNNING, SUCCEEDED, FAILED): keep the submission's
 * record in step, and write the result of a job that failed for good. An error is thrown, not
 * swallowed: Lambda retries, then the on-failure queue keeps the event, and the sweeper finds
 * the record in any case.
 */
export function makeOnJobStateHandler(
  options: OnJobStateOptions = {},
): (event: BatchJobStateChange) => Promise<JobStateOutcome> {
  let deps: JobFailedDeps | undefined;
  return async (event) => {
    deps ??= jobFailedDepsFor(
      readLambdaConfig(options.env),
      options.clients,
      options.log ?? jsonLog,
    );
    return handleJobStateChange(event.detail, deps);
  };
}

export const handler = makeOnJobStateHandler();
