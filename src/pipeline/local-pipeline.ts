/**
 * The whole serverless flow on one machine: an S3-protocol server on loopback stands in for S3,
 * its in-process events go to on-submission's logic, and launched jobs run in this process.
 * Not exported from ./index.ts: grading loads TensorFlow.js.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PIPELINE_ENV } from '../config.js';
import type { Cifar10Dataset } from '../data/types.js';
import type { GradeEvent } from '../grade/index.js';
import {
  DockerLauncher,
  InProcessLauncher,
  type JobLauncher,
  type JobStateListener,
  type Spawn,
} from '../launch/index.js';
import { isResultFile, type ResultFile } from '../rubric/index.js';
import { createFileSystemStateStore } from '../state/index.js';
import {
  createLoopbackS3Client,
  LOOPBACK_CREDENTIALS,
  S3ObjectStore,
  startLoopbackS3,
} from '../storage/index.js';
import type { BackendInfo } from '../train/types.js';
import { runGradeJob } from './grade-job.js';
import { handleSubmission, type IntakeDeps } from './intake.js';
import { handleJobStateChange } from './job-state.js';
import { SUBMISSIONS_PREFIX } from './keys.js';
import { submissionsInEvent } from './s3-event.js';
import type { IntakeOutcome, SubmissionRef } from './types.js';
import { storesOn } from './wiring.js';

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
  /** The submission records' directory (default: a temporary one, removed at the end). */
  stateDir?: string;
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
  /** The upload's submission id and result key; undefined when intake never took it. */
  id?: string;
  resultKey?: string;
  /** The record's final status. */
  status?: string;
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
  const ownsState = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'autograder-state-')));
  try {
    const storeFor = storesOn(client);
    const state = createFileSystemStateStore(stateDir);
    const jobStateDeps = { storeFor, state };
    // Jobs report their state changes here, as Batch reports them to EventBridge.
    const onStateChange: JobStateListener = async (detail) => {
      const outcome = await handleJobStateChange(detail, jobStateDeps);
      if (outcome.status === 'written') report(`[${detail.jobId}] ${outcome.message}`);
    };
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
            onStateChange,
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
            { onStateChange },
          );
    const launcher: JobLauncher = {
      async launch(request) {
        const job = await runner.launch(request);
        if (job.finished && !job.existing) running.push(job.finished);
        report(`[${job.id}] started for ${request.submission.key}`);
        return job;
      },
      ...(runner.cancel ? { cancel: runner.cancel.bind(runner) } : {}),
      ...(runner.describe ? { describe: runner.describe.bind(runner) } : {}),
    };
    const intake: IntakeDeps = {
      submissionsBucket: LOCAL_BUCKETS.submissions,
      resultsBucket: LOCAL_BUCKETS.results,
      submissions: storeFor(LOCAL_BUCKETS.submissions),
      results: storeFor(LOCAL_BUCKETS.results),
      state,
      launcher,
      // Each upload is graded here: a newer one must not cancel an older one.
      queue: { maxQueuedPerStudent: Number.MAX_SAFE_INTEGER, supersede: false },
    };

    const outcomesByKey = new Map<string, IntakeOutcome[]>();
    const deliveries: Promise<void>[] = [];
    const deliver = (ref: SubmissionRef) => {
      deliveries.push(
        deliverUntilSettled(ref, intake).then(
          (outcome) => {
            const key = outcome.submission.key;
            outcomesByKey.set(key, [...(outcomesByKey.get(key) ?? []), outcome]);
            report(`${key}: ${describeOutcome(outcome)}`);
          },
          (error: unknown) => report(`on-submission failed: ${String(error)}`),
        ),
      );
    };
    server.onEvent((event) => {
      // The deployed notification covers only the submissions bucket's submissions/ prefix;
      // the loopback server reports every write, results included.
      const records = event.Records.filter(
        (record) =>
          record.s3.bucket.name === LOCAL_BUCKETS.submissions &&
          record.s3.object.key.startsWith(SUBMISSIONS_PREFIX),
      );
      if (records.length === 0) return;
      for (const ref of submissionsInEvent({ Records: records })) {
        deliver(ref);
        if (options.redeliver) deliver(ref);
      }
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
      const outcomes = outcomesByKey.get(key) ?? [];
      const identified = outcomes.find((outcome) => outcome.status !== 'ignored');
      const record =
        identified && 'id' in identified
          ? await state.get(identified.student, identified.id)
          : undefined;
      const bytes = record ? await results.get(record.result_key) : undefined;
      const parsed: unknown = bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
      reports.push({
        key,
        ...(record ? { id: record.id, resultKey: record.result_key, status: record.status } : {}),
        outcomes: outcomes.map((outcome) => outcome.status),
        ...(isResultFile(parsed) ? { result: parsed } : {}),
      });
    }
    return reports;
  } finally {
    client.destroy();
    await server.close();
    if (ownsState) await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * One delivery of an upload's event, retried while another delivery holds the upload's lease,
 * as Lambda retries an invocation that failed for that reason.
 */
async function deliverUntilSettled(ref: SubmissionRef, intake: IntakeDeps): Promise<IntakeOutcome> {
  for (;;) {
    const outcome = await handleSubmission(ref, intake);
    if (outcome.status !== 'in-progress') return outcome;
    await new Promise((resolve) => setTimeout(resolve, 20));
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
      return `valid; submission ${outcome.id}, job ${outcome.jobId} started`;
    case 'rejected':
      return `invalid (${outcome.errors.length} problem${outcome.errors.length === 1 ? '' : 's'}); result written, no job`;
    case 'duplicate':
      return 'event delivered again; already claimed, no second job';
    case 'in-progress':
      return 'event delivered again while the first delivery holds it; retried later';
    case 'ignored':
      return `ignored: ${outcome.reason}`;
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
    case 'recheck': {
      const event = entry as Extract<GradeEvent, { type: 'recheck' }>;
      return `${event.name}: borderline, re-checking with ${event.seeds.length} more seeds`;
    }
    default:
      return undefined;
  }
}
