/**
 * The whole serverless flow on one machine: an S3-protocol server on loopback stands in for S3,
 * its in-process events go to on-submission's logic, and launched jobs run in this process.
 * Not exported from ./index.ts: grading loads TensorFlow.js.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { PIPELINE_ENV } from '../config.js';
import type { Cifar10Dataset } from '../data/types.js';
import type { GradeEvent } from '../grade/index.js';
import {
  DockerLauncher,
  InProcessLauncher,
  type JobLauncher,
  type Spawn,
} from '../launch/index.js';
import { isResultFile, type ResultFile } from '../rubric/index.js';
import {
  createLoopbackS3Client,
  LOOPBACK_CREDENTIALS,
  S3ObjectStore,
  startLoopbackS3,
} from '../storage/index.js';
import type { BackendInfo } from '../train/types.js';
import { runGradeJob } from './grade-job.js';
import type { IntakeDeps } from './intake.js';
import { resultKeyFor, SUBMISSIONS_PREFIX } from './keys.js';
import type { IntakeOutcome } from './types.js';
import { handleS3Event, storesOn } from './wiring.js';

export const LOCAL_BUCKETS = {
  submissions: 'autograder-submissions',
  results: 'autograder-results',
} as const;

export interface LocalUpload {
  /** Uploaded as submissions/<student>/<name>. */
  student: string;
  name: string;
  bytes: Uint8Array;
}

export interface LocalPipelineOptions {
  uploads: LocalUpload[];
  /** Where launched jobs run. */
  jobs: InProcessJobs | DockerJobs;
  slice?: { limitTrain?: number; limitTest?: number };
  /** Deliver every S3 event twice, as S3's at-least-once delivery may. */
  redeliver?: boolean;
  /** Lines for the terminal: uploads, intake outcomes, grading progress. */
  report?: (line: string) => void;
}

/** Jobs graded in this process, on data and a backend set up once for all of them. */
export interface InProcessJobs {
  kind: 'in-process';
  loadData: () => Promise<Cifar10Dataset>;
  selectBackend: () => Promise<BackendInfo>;
}

/**
 * Jobs run in the grader image with Docker, as on a GPU workstation; the image brings its own
 * CIFAR-10 and engine, and reaches the loopback server through the host's network.
 */
export interface DockerJobs {
  kind: 'docker';
  image: string;
  /** docker run --gpus value; default "all". */
  gpus?: string;
  spawn?: Spawn;
}

export interface LocalUploadReport {
  key: string;
  resultKey: string;
  /** What each delivery of the upload's event did, in order. */
  outcomes: IntakeOutcome['status'][];
  /** The result file, or undefined if none was written. */
  result?: ResultFile;
}

/** Runs the flow for every upload and answers once every launched job has finished. */
export async function runLocalPipeline(
  options: LocalPipelineOptions,
): Promise<LocalUploadReport[]> {
  const report = options.report ?? (() => {});
  const server = await startLoopbackS3({
    buckets: [LOCAL_BUCKETS.submissions, LOCAL_BUCKETS.results],
  });
  const client = createLoopbackS3Client(server.endpoint);
  try {
    const storeFor = storesOn(client);
    const running: Promise<number>[] = [];
    const { jobs: where } = options;
    const runner: JobLauncher =
      where.kind === 'docker'
        ? new DockerLauncher({
            image: where.image,
            gpus: where.gpus ?? 'all',
            network: 'host',
            env: containerEnv(server.endpoint, options.slice),
            passEnv: [],
            ...(where.spawn ? { spawn: where.spawn } : {}),
          })
        : new InProcessLauncher(
            (request, jobId) =>
              runGradeJob(request, {
                storeFor,
                loadData: where.loadData,
                selectBackend: where.selectBackend,
                ...(options.slice ? { slice: options.slice } : {}),
                log: (entry) => {
                  const line = describeGradeEvent(entry as GradeEvent | Record<string, unknown>);
                  if (line) report(`[${jobId}] ${line}`);
                },
              }),
            (error, jobId) => report(`[${jobId}] crashed: ${String(error)}`),
          );
    const launcher: JobLauncher = {
      async launch(request) {
        const job = await runner.launch(request);
        if (job.finished) running.push(job.finished);
        report(`[${job.id}] started for ${request.submission.key}`);
        return job;
      },
    };
    const intake: IntakeDeps = {
      submissionsBucket: LOCAL_BUCKETS.submissions,
      resultsBucket: LOCAL_BUCKETS.results,
      submissions: storeFor(LOCAL_BUCKETS.submissions),
      results: storeFor(LOCAL_BUCKETS.results),
      launcher,
    };

    const outcomesByKey = new Map<string, IntakeOutcome['status'][]>();
    const deliveries: Promise<void>[] = [];
    const deliver = (event: S3Event) => {
      deliveries.push(
        handleS3Event(event, intake).then(
          (outcomes) => {
            for (const outcome of outcomes) {
              const key = outcome.submission.key;
              outcomesByKey.set(key, [...(outcomesByKey.get(key) ?? []), outcome.status]);
              report(`${key}: ${describeOutcome(outcome)}`);
            }
          },
          (error: unknown) => report(`on-submission failed: ${String(error)}`),
        ),
      );
    };
    server.onEvent((event) => {
      // The deployed notification covers only the submissions bucket's submissions/ prefix;
      // the loopback server reports every write, results and claims included.
      const records = event.Records.filter(
        (record) =>
          record.s3.bucket.name === LOCAL_BUCKETS.submissions &&
          record.s3.object.key.startsWith(SUBMISSIONS_PREFIX),
      );
      if (records.length === 0) return;
      deliver({ Records: records });
      if (options.redeliver) deliver({ Records: records });
    });

    const keys: string[] = [];
    for (const upload of options.uploads) {
      const key = `${SUBMISSIONS_PREFIX}${upload.student}/${upload.name}`;
      keys.push(key);
      report(`Uploading ${key}`);
      await client.send(
        new PutObjectCommand({ Bucket: LOCAL_BUCKETS.submissions, Key: key, Body: upload.bytes }),
      );
    }
    await Promise.all(deliveries);
    await Promise.all(running);

    const results = new S3ObjectStore({ bucket: LOCAL_BUCKETS.results, client });
    const reports: LocalUploadReport[] = [];
    for (const key of keys) {
      const resultKey = resultKeyFor(key);
      const bytes = await results.get(resultKey);
      const parsed: unknown = bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
      reports.push({
        key,
        resultKey,
        outcomes: outcomesByKey.get(key) ?? [],
        ...(isResultFile(parsed) ? { result: parsed } : {}),
      });
    }
    return reports;
  } finally {
    client.destroy();
    await server.close();
  }
}

/** What the grader container needs to reach the loopback server and grade a slice. */
function containerEnv(
  endpoint: string,
  slice: LocalPipelineOptions['slice'],
): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOOPBACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOOPBACK_CREDENTIALS.secretAccessKey,
    [PIPELINE_ENV.s3Endpoint]: endpoint,
    ...(slice?.limitTrain ? { [PIPELINE_ENV.limitTrain]: String(slice.limitTrain) } : {}),
    ...(slice?.limitTest ? { [PIPELINE_ENV.limitTest]: String(slice.limitTest) } : {}),
  };
}

function describeOutcome(outcome: IntakeOutcome): string {
  switch (outcome.status) {
    case 'launched':
      return `valid; job ${outcome.jobId} started`;
    case 'rejected':
      return `invalid (${outcome.errors.length} problem${outcome.errors.length === 1 ? '' : 's'}); result written, no job`;
    case 'duplicate':
      return 'event delivered again; already claimed, no second job';
    case 'ignored':
      return `ignored: ${outcome.reason}`;
    case 'missing':
      return 'deleted before it could be read';
  }
}

function describeGradeEvent(entry: GradeEvent | Record<string, unknown>): string | undefined {
  switch (entry.type) {
    case 'ready': {
      const event = entry as Extract<GradeEvent, { type: 'ready' }>;
      return `training on ${event.backend.name} with ${event.trainImages} training / ${event.testImages} test images`;
    }
    case 'experiment-end': {
      const event = entry as Extract<GradeEvent, { type: 'experiment-end' }>;
      const accuracy = event.outcome.testAccuracy;
      return `${event.name}: ${event.outcome.status}${accuracy === undefined ? '' : `, ${accuracy.toFixed(2)}% test accuracy`}`;
    }
    default:
      return undefined;
  }
}
