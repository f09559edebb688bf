import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, isBackendName, readConfig } from '../../config.js';
import { CIFAR10_TEST_FILE, type Cifar10Dataset, loadCifar10FromDir } from '../../data/index.js';
import {
  calibrationLookup,
  type DataSlice,
  type GradeDeps,
  type GradeEvent,
  gradeFiles,
  listSubmissionFiles,
  RESULT_SUFFIX,
  resultPathFor,
} from '../../grade/index.js';
import { formatCount, formatScore, renderResultText } from '../../rubric/index.js';
import { createProgressReporter, selectBackend } from '../../train/index.js';
import type { BackendInfo, BackendName } from '../../train/types.js';
import { UsageError } from '../errors.js';
import type { CliIo, Command } from '../types.js';

/** The options grade and calibrate share: where the data is, which engine, which slice. */
export interface TrainingFlags {
  dataDir: string;
  /** Where calibrations are stored (AUTOGRADER_CACHE_DIR). */
  cacheDir: string;
  backend?: BackendName;
  seed?: number;
  slice?: DataSlice;
}

const TRAINING_OPTIONS = {
  data: { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  'limit-train': { type: 'string' },
  'limit-test': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integerFlag(name: string, text: string | undefined, min: number): number | undefined {
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
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (values.backend !== undefined && !isBackendName(values.backend)) {
    throw new UsageError(`--backend must be tensorflow, wasm or cpu, got "${values.backend}"`);
  }
  const limitTrain = integerFlag('limit-train', values['limit-train'], 1);
  const limitTest = integerFlag('limit-test', values['limit-test'], 1);
  const seed = integerFlag('seed', values.seed, 0);
  // Every flag is checked before the data directory, so a typo is reported as such on any machine.
  const dataDir = values.data === undefined ? config.cifar10Dir : path.resolve(io.cwd, values.data);
  if (!existsSync(path.join(dataDir, CIFAR10_TEST_FILE))) {
    throw new UsageError(
      `no CIFAR-10 binaries in ${dataDir} (${CIFAR10_TEST_FILE} is missing): pass --data DIR or set AUTOGRADER_CIFAR10_DIR`,
    );
  }
  return {
    dataDir,
    cacheDir: config.cacheDir,
    backend: (values.backend as BackendName | undefined) ?? config.backend,
    seed,
    slice:
      limitTrain === undefined && limitTest === undefined ? undefined : { limitTrain, limitTest },
  };
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
      backend ??= selectBackend(flags.backend);
      return backend;
    },
  };
}

function describeEvent(event: GradeEvent): string | undefined {
  switch (event.type) {
    case 'validated':
      return event.valid
        ? `Valid: ${event.experiments} experiment${event.experiments === 1 ? '' : 's'} to train.`
        : `Invalid: ${event.errors} problem${event.errors === 1 ? '' : 's'}; nothing will be trained.`;
    case 'ready':
      return `Training on ${event.backend.name} (${event.backend.detail}) with ${formatCount(event.trainImages)} training / ${formatCount(event.testImages)} test images; baseline: ${event.baseline === 'calibration' ? 'calibrated' : 'reference figure'}.`;
    case 'experiment-start':
      return `[${event.index + 1}/${event.total}] ${event.name}`;
    case 'experiment-end':
      return undefined;
  }
}

const USAGE =
  'autograder grade FILE|DIR [--out RESULT|DIR] [--data DIR] [--backend tensorflow|wasm|cpu] [--seed N] [--limit-train N] [--limit-test N]';

const HELP = `Usage: ${USAGE}

Trains every experiment of a submission, scores the rubric and writes the result file
(Gradescope's results.json shape). The result goes beside the submission as NAME${RESULT_SUFFIX}
unless --out names a file (or an existing directory to put it in). With a directory, every *.json in it is graded (results are skipped)
and each result goes beside its submission, or into the directory --out names.

  --data DIR        CIFAR-10 binaries (default: AUTOGRADER_CIFAR10_DIR or ../shared/cifar-10-batches-bin)
  --backend NAME    force an engine (default: AUTOGRADER_BACKEND, else the best that loads)
  --seed N          training seed (default: the rubric's)
  --limit-train N   train on the first N training images (a slice; the result says so)
  --limit-test N    evaluate on the first N test images

Exit status: 0 graded (whatever the score), 1 invalid submission or grading failed, 2 usage error or unreadable input.`;

async function run(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError('expected one submission file or directory');
  }
  const target = path.resolve(io.cwd, positionals[0]);
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new UsageError(`cannot read ${positionals[0]}: no such file or directory`);
  const files = info.isDirectory() ? await listSubmissionFiles(target) : [target];
  if (files.length === 0) throw new UsageError(`no *.json submissions in ${positionals[0]}`);
  const out = values.out === undefined ? undefined : path.resolve(io.cwd, values.out);
  const outIsDir = out !== undefined && (await stat(out).catch(() => undefined))?.isDirectory();
  const resultFileFor =
    info.isDirectory() || outIsDir
      ? (file: string) => resultPathFor(file, out)
      : (file: string) => out ?? resultPathFor(file);
  const flags = trainingFlags(values, io);

  const reporter = createProgressReporter({ isTTY: io.isTTY, write: io.stdout });
  const deps: Omit<GradeDeps, 'writeResult'> = {
    ...sharedSetup(flags),
    slice: flags.slice,
    seed: flags.seed,
    lookupCalibration: calibrationLookup(flags.cacheDir),
    onProgress: (progress) => reporter.update(progress),
    onEvent: (event) => {
      if (event.type === 'experiment-end') reporter.finish(event.outcome);
      const line = describeEvent(event);
      if (line !== undefined) io.stdout(`${line}\n`);
    },
  };
  const graded = await gradeFiles({
    files,
    resultFileFor,
    // Recorded in the result: relative, so the file does not depend on where the repo lives.
    sourceFor: (file) => path.relative(io.cwd, file) || file,
    deps,
    onFileStart: (file, index, total) =>
      io.stdout(
        `${total > 1 ? `(${index + 1}/${total}) ` : ''}Grading ${path.relative(io.cwd, file) || file}\n`,
      ),
    onFileEnd: ({ result, resultFile }) =>
      io.stdout(
        `\n${renderResultText(result)}\nResult written to ${path.relative(io.cwd, resultFile) || resultFile}\n\n`,
      ),
  });
  if (graded.length > 1) {
    const width = Math.max(...graded.map((g) => path.basename(g.file).length));
    io.stdout('Batch summary:\n');
    for (const g of graded) {
      const max = g.result.tests.reduce((sum, t) => sum + t.max_score, 0);
      io.stdout(
        `  ${path.basename(g.file).padEnd(width)}  ${formatScore(g.result.score).padStart(5)} / ${formatScore(max)}  ${g.result.extra_data.outcome}\n`,
      );
    }
  }
  return graded.every((g) => g.result.extra_data.outcome === 'graded') ? 0 : 1;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { ...TRAINING_OPTIONS, out: { type: 'string' } },
  });
}

export const command: Command = {
  name: 'grade',
  summary: 'train and score a submission (or a directory of them) and write its result file',
  usage: USAGE,
  run,
};
