/**
 * The student service on one machine (`autograder serve`): the page and API on loopback, the
 * stores as files under the state directory, and accepted submissions going through the same
 * intake as on AWS, with jobs graded in this process one at a time. Not exported from
 * ./index.ts: grading loads TensorFlow.js.
 */
import path from 'node:path';
import type { Cifar10Dataset } from '../data/types.js';
import type { GradeDeps, GradeEvent } from '../grade/index.js';
import { InProcessLauncher, type JobLauncher } from '../launch/index.js';
import { buildPage, type PageAssets } from '../page/build.js';
import { runGradeJob } from '../pipeline/grade-job.js';
import {
  handleJobStateChange,
  handleSubmission,
  type IntakeDeps,
  sweepSubmissions,
} from '../pipeline/index.js';
import { DEFAULT_RUBRIC, type Rubric } from '../rubric/index.js';
import { createFileSystemStateStore } from '../state/index.js';
import { FileSystemObjectStore, type ObjectStore } from '../storage/index.js';
import { FileSystemStudentsStore, TokenAuthenticator } from '../students/index.js';
import type { BackendInfo } from '../train/types.js';
import type { ApiDeps } from './api.js';
import { type StudentServer, startStudentServer } from './http-server.js';
import { RecordDesk } from './record-desk.js';
import { lockStateDir, type StateLock } from './state-lock.js';
import type { SubmissionProgress } from './types.js';

/** Names the intake and jobs use for the two "buckets", both one directory here. */
const LOCAL_BUCKETS = { submissions: 'local-submissions', results: 'local-results' } as const;

export interface LocalServiceOptions {
  /** Students under <state>/students, records under <state>/records, files under <state>/files. */
  stateDir: string;
  port: number;
  loadData: () => Promise<Cifar10Dataset>;
  selectBackend: () => Promise<BackendInfo>;
  /** Trains one experiment; `serve` passes a worker-thread trainer, so HTTP is never starved. */
  train?: GradeDeps['train'];
  slice?: { limitTrain?: number; limitTest?: number };
  /** Overrides the rubric's submissions per 24 hours. */
  quota?: number;
  rubric?: Rubric;
  /** Lines for the terminal: submissions, jobs, errors. */
  report?: (line: string) => void;
  page?: PageAssets;
  now?: () => number;
  sweepEveryMs?: number;
  /** Hears the URL once the server listens, before anything else is reported. */
  onListening?: (url: string) => void;
  /** Where submissions and results are kept; default files under <state>/files. */
  files?: ObjectStore;
}

export interface LocalService extends StudentServer {
  /** Settles once every job launched so far has finished. */
  idle(): Promise<void>;
  /** Moves on what should have moved and did not (runs at start and every sweepEveryMs). */
  sweep(): Promise<unknown>;
}

/** How often the local service looks for records a job left behind. */
const SWEEP_EVERY_MS = 30_000;

export function studentsDirOf(stateDir: string): string {
  return path.join(stateDir, 'students');
}

export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  // One process per state directory: refused here, before anything reads or writes it.
  const lock = await lockStateDir(options.stateDir);
  try {
    return await startLocked(options, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function startLocked(options: LocalServiceOptions, lock: StateLock): Promise<LocalService> {
  const report = options.report ?? (() => {});
  const rubric = options.rubric ?? DEFAULT_RUBRIC;
  const files = options.files ?? new FileSystemObjectStore(path.join(options.stateDir, 'files'));
  const students = new FileSystemStudentsStore(studentsDirOf(options.stateDir));
  const storeFor = () => files;
  const state = createFileSystemStateStore(path.join(options.stateDir, 'records'));

  // What the runner knows of each submission it holds, by result key.
  const progress = new Map<string, SubmissionProgress | 'queued'>();
  const running = new Set<Promise<number>>();
  const runner = new InProcessLauncher(
    async (request, jobId) => {
      const key = request.result.key;
      const live: SubmissionProgress = {
        experiment: null,
        experiment_index: 0,
        experiments: 0,
        epoch: null,
        epochs: rubric.training.epochs,
      };
      progress.set(key, live);
      report(`[${jobId}] grading ${request.submission.key}`);
      try {
        return await runGradeJob(request, {
          storeFor,
          loadData: options.loadData,
          selectBackend: options.selectBackend,
          ...(options.train ? { train: options.train } : {}),
          rubric,
          ...(options.slice ? { slice: options.slice } : {}),
          onProgress: (p) => {
            live.experiment = p.experiment;
            live.epoch = p.completedEpoch ? Math.min(p.epoch + 1, p.epochs) : p.epoch;
            live.epochs = p.epochs;
          },
          log: (entry) => {
            const event = entry as GradeEvent | Record<string, unknown>;
            if (event.type === 'experiment-start') {
              const start = event as Extract<GradeEvent, { type: 'experiment-start' }>;
              live.experiment = start.name;
              live.experiment_index = start.index;
              live.experiments = start.total;
              live.epoch = 1;
            }
            if (entry.event === 'graded') report(`[${jobId}] graded: score ${entry.score}`);
            if (entry.event === 'crashed') report(`[${jobId}] crashed: ${entry.error}`);
          },
        });
      } finally {
        progress.delete(key);
      }
    },
    (error, jobId) => report(`[${jobId}] crashed: ${String(error)}`),
    {
      // Jobs report their state changes to the records, as Batch reports them to EventBridge.
      onStateChange: async (detail) => {
        await handleJobStateChange(detail, { storeFor, state });
      },
      // This process's own job ids: a record's job from before a restart is never mistaken for one.
      idPrefix: `local-${Date.now().toString(36)}`,
    },
  );
  const launcher: JobLauncher = {
    async launch(request) {
      progress.set(request.result.key, 'queued');
      const job = await runner.launch(request);
      if (job.finished) {
        const finished = job.finished;
        running.add(finished);
        void finished.finally(() => running.delete(finished));
      }
      return job;
    },
    ...(runner.cancel ? { cancel: runner.cancel.bind(runner) } : {}),
    ...(runner.describe ? { describe: runner.describe.bind(runner) } : {}),
  };
  const intake: IntakeDeps = {
    submissionsBucket: LOCAL_BUCKETS.submissions,
    resultsBucket: LOCAL_BUCKETS.results,
    submissions: files,
    results: files,
    state,
    launcher,
    rubric,
    // The API's quota limits each student; every accepted upload is graded, none superseded.
    queue: { maxQueuedPerStudent: Number.MAX_SAFE_INTEGER, supersede: false },
  };
  // What a killed, crashed or disk-full run left unfinished is moved on, as the sweeper Lambda
  // does on AWS: at start (every job of a previous process is lost, and is run again once), then
  // on a timer (a result write that failed for lack of space is tried again).
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = (): Promise<unknown> => {
    sweeping = sweeping
      .then(() =>
        sweepSubmissions({
          intake,
          jobState: { storeFor, state },
          jobStaleMs: 0,
          intakeStaleMs: 0,
          resubmitRunning: true,
          ...(options.now ? { now: options.now } : {}),
          log: (entry) => {
            if (entry.event === 'swept' && entry.action !== 'waiting') {
              report(
                `swept ${entry.student}/${entry.id} (was ${entry.was}): ${entry.action}${entry.detail ? ` ${entry.detail}` : ''}`,
              );
            }
          },
        }),
      )
      .catch((error: unknown) => report(`sweep failed: ${String(error)}`));
    return sweeping;
  };
  const desk = new RecordDesk({
    records: state,
    submissions: files,
    submissionsBucket: LOCAL_BUCKETS.submissions,
    results: files,
    rubric,
    onStored: async (key) => {
      const outcome = await handleSubmission({ bucket: LOCAL_BUCKETS.submissions, key }, intake);
      report(`${key}: ${outcome.status}`);
    },
    progressOf: (resultKey) => progress.get(resultKey),
  });
  const api: ApiDeps = {
    authenticator: new TokenAuthenticator(students),
    desk,
    quotas: students,
    rubric,
    ...(options.quota !== undefined ? { quota: options.quota } : {}),
    ...(options.now ? { now: options.now } : {}),
    log: (entry) => {
      if (entry.event === 'api-error') report(`API error on ${entry.path}: ${entry.error}`);
    },
  };
  const server = await startStudentServer({
    api,
    page: options.page ?? (await buildPage()),
    port: options.port,
  });
  // Where it listens comes first (serve's first line), then what a previous run left is swept.
  options.onListening?.(server.url);
  await sweep();
  const sweeper = setInterval(() => void sweep(), options.sweepEveryMs ?? SWEEP_EVERY_MS);
  sweeper.unref();
  return {
    ...server,
    close: async () => {
      clearInterval(sweeper);
      await server.close();
      await sweeping;
      await lock.release();
    },
    sweep,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
