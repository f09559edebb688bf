import os from 'node:os';
import path from 'node:path';
import { isBackendName } from '../config.js';
import {
  type Cifar10Dataset,
  createDownloadReporter,
  ensureCifar10,
  loadCifar10FromDir,
} from '../data/index.js';
import { type DataSlice, parallelTraining } from '../grade/index.js';
import { selectBackend } from '../train/index.js';
import type { BackendInfo, BackendName } from '../train/types.js';
import { cliConfig } from './config.js';
import { UsageError } from './errors.js';
import type { CliIo } from './types.js';

/** The options grade and calibrate share: where the data is, which engine, which slice. */
export interface TrainingFlags {
  dataDir: string;
  /** Where the data is fetched from when dataDir lacks it, and the archive's md5. */
  dataSource: { url: string; md5: string };
  /** Where calibrations are stored (AUTOGRADER_CACHE_DIR). */
  cacheDir: string;
  backend?: BackendName;
  /** AUTOGRADER_WASM_THREADS, passed to the engine. */
  wasmThreads?: number;
  seed?: number;
  slice?: DataSlice;
}

export const TRAINING_OPTIONS = {
  data: { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  'limit-train': { type: 'string' },
  'limit-test': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** An integer flag of at least `min`, or undefined when it was not given. */
export function integerFlag(
  name: string,
  text: string | undefined,
  min: number,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, got "${text}"`);
  }
  return value;
}

/** Reads the shared flags; the environment (through readConfig) fills what they leave out. */
export function trainingFlags(
  values: {
    data?: string;
    backend?: string;
    seed?: string;
    'limit-train'?: string;
    'limit-test'?: string;
  },
  io: CliIo,
): TrainingFlags {
  const config = cliConfig(io);
  if (values.backend !== undefined && !isBackendName(values.backend)) {
    throw new UsageError(`--backend must be tensorflow, wasm or cpu, got "${values.backend}"`);
  }
  const limitTrain = integerFlag('limit-train', values['limit-train'], 1);
  const limitTest = integerFlag('limit-test', values['limit-test'], 1);
  const seed = integerFlag('seed', values.seed, 0);
  const dataDir = values.data === undefined ? config.cifar10Dir : path.resolve(io.cwd, values.data);
  return {
    dataDir,
    dataSource: { url: config.cifar10Url, md5: config.cifar10Md5 },
    cacheDir: config.cacheDir,
    backend: (values.backend as BackendName | undefined) ?? config.backend,
    ...(config.wasmThreads !== undefined ? { wasmThreads: config.wasmThreads } : {}),
    seed,
    slice:
      limitTrain === undefined && limitTest === undefined ? undefined : { limitTrain, limitTest },
  };
}

/**
 * Fetches CIFAR-10 into the data directory when it is not there yet (first use), with a progress
 * bar; throws Cifar10FetchError (exit 1) with what to do when it cannot.
 */
export async function ensureTrainingData(flags: TrainingFlags, io: CliIo): Promise<void> {
  const reporter = createDownloadReporter({ isTTY: io.isTTY, write: io.stdout, label: 'CIFAR-10' });
  try {
    await ensureCifar10(flags.dataDir, {
      ...flags.dataSource,
      onProgress: (progress) => reporter.update(progress),
      log: (line) => io.stdout(`${line}\n`),
    });
  } finally {
    reporter.finish();
  }
}

/** Data and backend for a run, each set up once however many submissions share them. */
export function sharedSetup(flags: TrainingFlags): {
  loadData: () => Promise<Cifar10Dataset>;
  selectBackend: () => Promise<BackendInfo>;
} {
  let data: Promise<Cifar10Dataset> | undefined;
  let backend: Promise<BackendInfo> | undefined;
  return {
    loadData: () => {
      data ??= loadCifar10FromDir(flags.dataDir, flags.slice ?? {});
      return data;
    },
    selectBackend: () => {
      backend ??= selectBackend(
        flags.backend,
        flags.wasmThreads !== undefined ? { wasmThreads: flags.wasmThreads } : {},
      );
      return backend;
    },
  };
}

/** One worker per `wasmThreads` CPUs, at most 8: experiments on separate cores beat one split. */
export function defaultWorkers(wasmThreads: number): number {
  return Math.max(1, Math.min(8, Math.floor(os.availableParallelism() / wasmThreads)));
}

/**
 * The worker pool `grade` and `regrade` train on: --workers, else AUTOGRADER_WORKERS, else one
 * per CPU. Each worker's wasm backend gets AUTOGRADER_WASM_THREADS threads, else one
 * (docs/performance-parallel.md). Close it when done.
 */
export function trainingWorkers(
  workersFlag: string | undefined,
  setup: ReturnType<typeof sharedSetup>,
  io: CliIo,
): ReturnType<typeof parallelTraining> {
  const config = cliConfig(io);
  const wasmThreads = config.wasmThreads ?? 1;
  const workers =
    integerFlag('workers', workersFlag, 1) ?? config.workers ?? defaultWorkers(wasmThreads);
  return parallelTraining({ workers, selectBackend: setup.selectBackend, wasmThreads });
}
