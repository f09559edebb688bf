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
  /** AUTOGRADER_CIFAR10_DIR; default ../shared/cifar-10-batches-bin beside the package root. */
  cifar10Dir: string;
  /** AUTOGRADER_BACKEND forces a backend; unset means the best that loads. */
  backend?: BackendName;
  /** AUTOGRADER_CACHE_DIR: where calibrations are kept; default .cache/ under the package root. */
  cacheDir: string;
  /** AUTOGRADER_WASM_THREADS: threads of the wasm backend; unset means half the logical CPUs (up to 8). */
  wasmThreads?: number;
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
  return {
    cifar10Dir:
      env.AUTOGRADER_CIFAR10_DIR?.trim() ||
      path.resolve(root, '..', 'shared', 'cifar-10-batches-bin'),
    backend,
    cacheDir: env.AUTOGRADER_CACHE_DIR?.trim() || path.join(root, '.cache'),
    ...(wasmThreads !== undefined ? { wasmThreads } : {}),
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
  return {
    submissionsBucket: required(env, PIPELINE_ENV.submissionsBucket),
    resultsBucket: required(env, PIPELINE_ENV.resultsBucket),
    ...(jobQueue ? { jobQueue } : {}),
    ...(jobDefinition ? { jobDefinition } : {}),
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
