import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from './train/types.js';

/**
 * The repository (or installed package) root, whatever the working directory.
 * Sources live in src/, compiled code in dist/src/.
 */
export function packageRoot(): string {
  const parent = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  return path.basename(parent) === 'dist' ? path.dirname(parent) : parent;
}

/** Environment settings, read here and nowhere else. */
export interface AutograderConfig {
  /**
   * AUTOGRADER_CIFAR10_DIR; default the user's cache: $XDG_CACHE_HOME (else ~/.cache), then
   * cifar10-autograder/cifar-10-batches-bin. Fetched there on first use when it is missing.
   */
  cifar10Dir: string;
  /** AUTOGRADER_CIFAR10_URL: where the binary archive is downloaded from; default the official one. */
  cifar10Url: string;
  /** AUTOGRADER_CIFAR10_MD5: the archive's md5 (hex); default the official archive's. */
  cifar10Md5: string;
  /** AUTOGRADER_REQUIRE_GPU=1 (the grader image): a job that finds no GPU fails instead of training on the CPU. */
  requireGpu: boolean;
  /** AUTOGRADER_BACKEND forces a backend; unset means the best that loads. */
  backend?: BackendName;
  /** AUTOGRADER_CACHE_DIR: where calibrations are kept; default .cache/ under the package root. */
  cacheDir: string;
  /** AUTOGRADER_WASM_THREADS: threads of the wasm backend; unset means one per physical core (up to 8). */
  wasmThreads?: number;
  /** AUTOGRADER_WORKERS: experiments `grade` trains at once; unset means one per CPU. */
  workers?: number;
}

/** The official CIFAR-10 binary archive and the md5 its page publishes. */
export const CIFAR10_ARCHIVE = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
} as const;

/** The data directory when neither --data nor AUTOGRADER_CIFAR10_DIR names one. */
export function defaultCifar10Dir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME?.trim() || path.join(env.HOME?.trim() || os.homedir(), '.cache');
  return path.join(cache, 'cifar10-autograder', 'cifar-10-batches-bin');
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export function isBackendName(value: string): value is BackendName {
  return (BACKENDS as readonly string[]).includes(value);
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AutograderConfig {
  const backend = env.AUTOGRADER_BACKEND?.trim() || undefined;
  if (backend !== undefined && !isBackendName(backend)) {
    throw new ConfigError(
      `AUTOGRADER_BACKEND is "${backend}"; expected one of ${BACKENDS.join(', ')}`,
    );
  }
  const root = packageRoot();
  const wasmThreads = readLimit(env, 'AUTOGRADER_WASM_THREADS');
  const cifar10Md5 = optional(env, 'AUTOGRADER_CIFAR10_MD5')?.toLowerCase() ?? CIFAR10_ARCHIVE.md5;
  if (!/^[0-9a-f]{32}$/.test(cifar10Md5)) {
    throw new ConfigError(
      `AUTOGRADER_CIFAR10_MD5 is "${cifar10Md5}"; expected 32 hexadecimal digits`,
    );
  }
  const cifar10Url = optional(env, 'AUTOGRADER_CIFAR10_URL') ?? CIFAR10_ARCHIVE.url;
  if (!/^https?:\/\/[^/]+/.test(cifar10Url)) {
    throw new ConfigError(
      `AUTOGRADER_CIFAR10_URL is "${cifar10Url}"; expected an http:// or https:// URL`,
    );
  }
  const workers = readLimit(env, 'AUTOGRADER_WORKERS');
  return {
    cifar10Dir: optional(env, 'AUTOGRADER_CIFAR10_DIR') ?? defaultCifar10Dir(env),
    cifar10Url,
    cifar10Md5,
    requireGpu: readFlag(env, 'AUTOGRADER_REQUIRE_GPU'),
    backend,
    cacheDir: env.AUTOGRADER_CACHE_DIR?.trim() || path.join(root, '.cache'),
    ...(wasmThreads !== undefined ? { wasmThreads } : {}),
    ...(workers !== undefined ? { workers } : {}),
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Variables of the serverless pipeline: the Lambdas, the grader image and the local pipeline. */
export const PIPELINE_ENV = {
  submissionsBucket: 'AUTOGRADER_SUBMISSIONS_BUCKET',
  resultsBucket: 'AUTOGRADER_RESULTS_BUCKET',
  jobQueue: 'AUTOGRADER_JOB_QUEUE',
  jobDefinition: 'AUTOGRADER_JOB_DEFINITION',
  cpuJobQueue: 'AUTOGRADER_CPU_JOB_QUEUE',
  cpuJobDefinition: 'AUTOGRADER_CPU_JOB_DEFINITION',
  cpuMaxTrainingMacs: 'AUTOGRADER_CPU_MAX_TRAINING_MACS',
  s3Endpoint: 'AUTOGRADER_S3_ENDPOINT',
  cifar10S3: 'AUTOGRADER_CIFAR10_S3',
  limitTrain: 'AUTOGRADER_LIMIT_TRAIN',
  limitTest: 'AUTOGRADER_LIMIT_TEST',
  stateTable: 'AUTOGRADER_STATE_TABLE',
  leaseSeconds: 'AUTOGRADER_LEASE_SECONDS',
  maxQueuedPerStudent: 'AUTOGRADER_MAX_QUEUED_PER_STUDENT',
  supersede: 'AUTOGRADER_SUPERSEDE',
  sweepAfterMinutes: 'AUTOGRADER_SWEEP_AFTER_MINUTES',
} as const;

/** What the Lambdas are told by the stack. */
export interface LambdaConfig {
  submissionsBucket: string;
  resultsBucket: string;
  /** Only on-submission starts jobs; on-job-failed has neither. */
  jobQueue?: string;
  jobDefinition?: string;
  /**
   * The CPU route, when deployed: its queue and job definition, and the training work
   * (multiply-accumulates) below which a submission goes there instead of to the GPU queue.
   */
  cpuRoute?: { jobQueue: string; jobDefinition: string; maxTrainingMacs: number };
  /** An S3-compatible endpoint instead of AWS (path-style URLs). */
  s3Endpoint?: string;
  /** The DynamoDB table of submission records. */
  stateTable: string;
  /** How long intake's lease lasts: the on-submission Lambda's timeout. Default 60. */
  leaseSeconds: number;
  /** Valid uploads beyond this many of a student's waiting jobs are rejected. Default 3. */
  maxQueuedPerStudent: number;
  /** A newer accepted upload cancels the student's jobs that have not started. Default true. */
  supersede: boolean;
  /** The sweeper asks Batch about queued/running records untouched this long. Default 75. */
  sweepAfterMinutes: number;
}

export function readLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const jobQueue = optional(env, PIPELINE_ENV.jobQueue);
  const jobDefinition = optional(env, PIPELINE_ENV.jobDefinition);
  const s3Endpoint = readEndpoint(env);
  const cpuRoute = readCpuRoute(env);
  return {
    submissionsBucket: required(env, PIPELINE_ENV.submissionsBucket),
    resultsBucket: required(env, PIPELINE_ENV.resultsBucket),
    ...(jobQueue ? { jobQueue } : {}),
    ...(jobDefinition ? { jobDefinition } : {}),
    ...(cpuRoute ? { cpuRoute } : {}),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    stateTable: required(env, PIPELINE_ENV.stateTable),
    leaseSeconds: readLimit(env, PIPELINE_ENV.leaseSeconds) ?? 60,
    maxQueuedPerStudent: readLimit(env, PIPELINE_ENV.maxQueuedPerStudent) ?? 3,
    supersede: readBoolean(env, PIPELINE_ENV.supersede) ?? true,
    sweepAfterMinutes: readLimit(env, PIPELINE_ENV.sweepAfterMinutes) ?? 75,
  };
}

function readBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = optional(env, name);
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`${name} is "${value}"; expected true or false`);
}

/** The grading container's settings beyond the job's own variables (see src/launch). */
export interface GradeJobConfig extends AutograderConfig {
  s3Endpoint?: string;
  /** s3://bucket/prefix holding CIFAR-10 in the binary layout, instead of cifar10Dir. */
  cifar10S3?: { bucket: string; prefix: string };
  /** Train and test on the first N images only: for smoke runs, never for grading. */
  limitTrain?: number;
  limitTest?: number;
}

export function readGradeJobConfig(env: NodeJS.ProcessEnv = process.env): GradeJobConfig {
  const s3Endpoint = readEndpoint(env);
  const cifar10S3 = optional(env, PIPELINE_ENV.cifar10S3);
  const limitTrain = readLimit(env, PIPELINE_ENV.limitTrain);
  const limitTest = readLimit(env, PIPELINE_ENV.limitTest);
  return {
    ...readConfig(env),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    ...(cifar10S3 ? { cifar10S3: parseS3Url(cifar10S3, PIPELINE_ENV.cifar10S3) } : {}),
    ...(limitTrain !== undefined ? { limitTrain } : {}),
    ...(limitTest !== undefined ? { limitTest } : {}),
  };
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(`${name} is not set`);
  return value;
}

/** All three CPU-route variables, or none: half a route would send jobs nowhere. */
function readCpuRoute(env: NodeJS.ProcessEnv): LambdaConfig['cpuRoute'] {
  const names = [
    PIPELINE_ENV.cpuJobQueue,
    PIPELINE_ENV.cpuJobDefinition,
    PIPELINE_ENV.cpuMaxTrainingMacs,
  ] as const;
  const [jobQueue, jobDefinition, max] = names.map((name) => optional(env, name));
  if (jobQueue === undefined && jobDefinition === undefined && max === undefined) return undefined;
  if (jobQueue === undefined || jobDefinition === undefined || max === undefined) {
    throw new ConfigError(
      `the CPU route needs all of ${names.join(', ')}; ${names.filter((n) => !optional(env, n)).join(', ')} not set`,
    );
  }
  const maxTrainingMacs = Number(max);
  if (!Number.isFinite(maxTrainingMacs) || maxTrainingMacs <= 0) {
    throw new ConfigError(
      `${PIPELINE_ENV.cpuMaxTrainingMacs} is "${max}"; expected a positive number of multiply-accumulates`,
    );
  }
  return { jobQueue, jobDefinition, maxTrainingMacs };
}

/** "1"/"true" on, "0"/"false"/unset off; anything else is a mistake worth naming. */
function readFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = optional(env, name)?.toLowerCase();
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new ConfigError(`${name} is "${value}"; expected 1 or 0`);
}

function readEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const value = optional(env, PIPELINE_ENV.s3Endpoint);
  if (value !== undefined && !/^https?:\/\/[^/]+/.test(value)) {
    throw new ConfigError(
      `${PIPELINE_ENV.s3Endpoint} is "${value}"; expected a URL such as http://127.0.0.1:4568`,
    );
  }
  return value;
}

function readLimit(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = optional(env, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new ConfigError(`${name} is "${value}"; expected a positive integer`);
  }
  return number;
}

function parseS3Url(value: string, name: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value);
  if (!match?.[1]) {
    throw new ConfigError(`${name} is "${value}"; expected s3://bucket/prefix`);
  }
  return { bucket: match[1], prefix: match[2] ?? '' };
}

/** What staff commands (report, regrade, status) read from the environment. */
export interface StaffConfig {
  /** An S3-compatible endpoint instead of AWS, as for the pipeline. */
  s3Endpoint?: string;
}

export function readStaffConfig(env: NodeJS.ProcessEnv = process.env): StaffConfig {
  const s3Endpoint = readEndpoint(env);
  return s3Endpoint ? { s3Endpoint } : {};
}

/** Variables of the student API's Lambda (cdk/student-service.ts sets them). */
export const STUDENT_API_ENV = {
  studentsTable: 'AUTOGRADER_STUDENTS_TABLE',
  quota: 'AUTOGRADER_QUOTA',
} as const;

export interface StudentApiConfig {
  studentsTable: string;
  /** The submission records' table (the state store, AUTOGRADER_STATE_TABLE). */
  stateTable: string;
  submissionsBucket: string;
  resultsBucket: string;
  /** Overrides the rubric's submissions per rolling 24 hours. */
  quota?: number;
}

export function readStudentApiConfig(env: NodeJS.ProcessEnv = process.env): StudentApiConfig {
  const quota = optional(env, STUDENT_API_ENV.quota);
  const limit = quota === undefined ? undefined : Number(quota);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new ConfigError(`${STUDENT_API_ENV.quota} is "${quota}"; expected a whole number`);
  }
  return {
    studentsTable: required(env, STUDENT_API_ENV.studentsTable),
    stateTable: required(env, PIPELINE_ENV.stateTable),
    submissionsBucket: required(env, PIPELINE_ENV.submissionsBucket),
    resultsBucket: required(env, PIPELINE_ENV.resultsBucket),
    ...(limit !== undefined ? { quota: limit } : {}),
  };
}
