import type { BatchClient } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { ConfigError, type LambdaConfig } from '../config.js';
import { BatchLauncher, routeByTrainingWork } from '../launch/index.js';
import { createS3Client, type ObjectStore, S3ObjectStore } from '../storage/index.js';
import { handleSubmission, type IntakeDeps } from './intake.js';
import type { JobFailedDeps } from './job-failed.js';
import { submissionsInEvent } from './s3-event.js';
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
}

/** on-submission's collaborators in AWS: the two buckets and Batch. */
export function intakeDepsFor(
  config: LambdaConfig,
  clients: AwsClients = {},
  log?: Logger,
): IntakeDeps {
  if (!config.jobQueue || !config.jobDefinition) {
    throw new ConfigError('on-submission needs the job queue and job definition to start jobs');
  }
  const storeFor = storesOn(clients.s3 ?? s3ClientFor(config));
  return {
    submissionsBucket: config.submissionsBucket,
    resultsBucket: config.resultsBucket,
    submissions: storeFor(config.submissionsBucket),
    results: storeFor(config.resultsBucket),
    launcher: new BatchLauncher({
      jobQueue: config.jobQueue,
      jobDefinition: config.jobDefinition,
      ...(config.cpuRoute
        ? {
            cpu: config.cpuRoute,
            route: routeByTrainingWork(config.cpuRoute.maxTrainingMacs),
          }
        : {}),
      ...(clients.batch ? { client: clients.batch } : {}),
    }),
    ...(log ? { log } : {}),
  };
}

/** on-job-failed's collaborators in AWS: stores for the buckets a job's environment names. */
export function jobFailedDepsFor(
  config: LambdaConfig,
  clients: AwsClients = {},
  log?: Logger,
): JobFailedDeps {
  return { storeFor: storesOn(clients.s3 ?? s3ClientFor(config)), ...(log ? { log } : {}) };
}

/**
 * Handles every upload an S3 notification names. All records are attempted; if any failed,
 * the first error is rethrown afterwards so the invocation is retried (the claims make the
 * retry skip the uploads that were already handled).
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
  return outcomes;
}

/** A log line per entry, as JSON, so CloudWatch Logs Insights can query the fields. */
export const jsonLog: Logger = (entry) => {
  console.log(JSON.stringify(entry));
};
