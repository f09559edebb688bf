import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { ConfigError, type LambdaConfig } from '../config.js';
import { BatchLauncher, type JobLauncher, routeByTrainingWork } from '../launch/index.js';
import { createDynamoDbStateStore, type SubmissionStateStore } from '../state/index.js';
import { createS3Client, type ObjectStore, S3ObjectStore } from '../storage/index.js';
import { handleSubmission, type IntakeDeps } from './intake.js';
import type { JobFailedDeps } from './job-failed.js';
import { submissionsInEvent } from './s3-event.js';
import type { SweepDeps } from './sweep.js';
import type { IntakeOutcome, Logger } from './types.js';

/** An S3 client for AWS, or for an S3-compatible server when an endpoint is configured. */
export function s3ClientFor(config: { s3Endpoint?: string }): S3Client {
  return config.s3Endpoint
    ? createS3Client({ endpoint: config.s3Endpoint, forcePathStyle: true })
    : createS3Client();
}

/** One store per bucket name, sharing one client. */
export function storesOn(client: S3Client): (bucket: string) => ObjectStore {
  const stores = new Map<string, ObjectStore>();
  return (bucket) => {
    let store = stores.get(bucket);
    if (!store) {
      store = new S3ObjectStore({ bucket, client });
      stores.set(bucket, store);
    }
    return store;
  };
}

export interface AwsClients {
  s3?: S3Client;
  batch?: BatchClient;
  dynamodb?: DynamoDBClient;
  /** The state store itself, instead of one on `dynamodb`. */
  state?: SubmissionStateStore;
}

function stateFor(config: LambdaConfig, clients: AwsClients): SubmissionStateStore {
  return (
    clients.state ??
    createDynamoDbStateStore({
      tableName: config.stateTable,
      ...(clients.dynamodb ? { client: clients.dynamodb } : {}),
    })
  );
}

function launcherFor(config: LambdaConfig, clients: AwsClients, who: string): JobLauncher {
  if (!config.jobQueue || !config.jobDefinition) {
    throw new ConfigError(`${who} needs the job queue and job definition to start jobs`);
  }
  return new BatchLauncher({
    jobQueue: config.jobQueue,
    jobDefinition: config.jobDefinition,
    ...(config.cpuRoute
      ? { cpu: config.cpuRoute, route: routeByTrainingWork(config.cpuRoute.maxTrainingMacs) }
      : {}),
    ...(clients.batch ? { client: clients.batch } : {}),
  });
}

/** on-submission's collaborators in AWS: the two buckets, the records and Batch. */
export function intakeDepsFor(
  config: LambdaConfig,
  clients: AwsClients = {},
  log?: Logger,
): IntakeDeps {
  const storeFor = storesOn(clients.s3 ?? s3ClientFor(config));
  return {
    submissionsBucket: config.submissionsBucket,
    resultsBucket: config.resultsBucket,
    submissions: storeFor(config.submissionsBucket),
    results: storeFor(config.resultsBucket),
    state: stateFor(config, clients),
    launcher: launcherFor(config, clients, 'on-submission'),
    leaseMs: config.leaseSeconds * 1000,
    queue: { maxQueuedPerStudent: config.maxQueuedPerStudent, supersede: config.supersede },
    ...(log ? { log } : {}),
  };
}

/** on-job-state's collaborators in AWS: stores for the buckets a job names, and the records. */
export function jobFailedDepsFor(
  config: LambdaConfig,
  clients: AwsClients = {},
  log?: Logger,
): JobFailedDeps {
  return {
    storeFor: storesOn(clients.s3 ?? s3ClientFor(config)),
    state: stateFor(config, clients),
    ...(log ? { log } : {}),
  };
}

/** The sweeper's collaborators: intake's and the job-state handler's, sharing clients. */
export function sweepDepsFor(
  config: LambdaConfig,
  clients: AwsClients = {},
  log?: Logger,
): SweepDeps {
  const shared: AwsClients = {
    ...clients,
    s3: clients.s3 ?? s3ClientFor(config),
    state: stateFor(config, clients),
  };
  return {
    intake: intakeDepsFor(config, shared, log),
    jobState: jobFailedDepsFor(config, shared, log),
    jobStaleMs: config.sweepAfterMinutes * 60_000,
    ...(log ? { log } : {}),
  };
}

/** Another intake holds a live lease on an upload: the invocation fails so Lambda retries it. */
export class IntakeInProgressError extends Error {
  override name = 'IntakeInProgressError';
}

/**
 * Handles every upload an S3 notification names. All records are attempted; if any failed or
 * is still held by another intake, an error is thrown afterwards so the invocation is retried
 * (the records make the retry skip the uploads that were already handled).
 */
export async function handleS3Event(event: S3Event, deps: IntakeDeps): Promise<IntakeOutcome[]> {
  const outcomes: IntakeOutcome[] = [];
  const failures: unknown[] = [];
  for (const ref of submissionsInEvent(event)) {
    try {
      outcomes.push(await handleSubmission(ref, deps));
    } catch (error) {
      deps.log?.({ event: 'failed', key: ref.key, error: String(error) });
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  const held = outcomes.filter((outcome) => outcome.status === 'in-progress');
  if (held.length > 0) {
    throw new IntakeInProgressError(
      `another intake holds ${held.map((outcome) => outcome.submission.key).join(', ')}; retry after its lease`,
    );
  }
  return outcomes;
}

/** A log line per entry, as JSON, so CloudWatch Logs Insights can query the fields. */
export const jsonLog: Logger = (entry) => {
  console.log(JSON.stringify(entry));
};
