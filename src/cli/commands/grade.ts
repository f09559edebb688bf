import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatSeeds } from '../../fairness/index.js';
import {
  calibrationLookup,
  type GradeDeps,
  type GradeEvent,
  gradeFiles,
  listSubmissionFiles,
  RESULT_SUFFIX,
  resultPathFor,
} from '../../grade/index.js';
import { formatCount, formatScore, renderResultText } from '../../rubric/index.js';
import { createProgressReporter } from '../../train/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import {
  ensureTrainingData,
  sharedSetup,
  TRAINING_OPTIONS,
  trainingFlags,
  trainingWorkers,
} from '../training-flags.js';
import type { CliIo, Command } from '../types.js';

function describeEvent(event: GradeEvent): string | undefined {
  switch (event.type) {
    case 'validated':
      return event.valid
        ? `Valid: ${event.experiments} experiment${event.experiments === 1 ? '' : 's'} to train.`
        : `Invalid: ${event.errors} problem${event.errors === 1 ? '' : 's'}; nothing will be trained.`;
    case 'ready': {
      const ready = `Training on ${event.backend.name} (${event.backend.detail}) on ${event.backend.device} with ${formatCount(event.trainImages)} training / ${formatCount(event.testImages)} test images; baseline: ${event.baseline === 'calibration' ? 'calibrated' : 'reference figure'}.`;
      return event.trial ? `${ready}\nA trial run: ${event.trial.reason}.` : ready;
    }
    case 'experiment-start':
      return `[${event.index + 1}/${event.total}] ${event.name}`;
    case 'experiment-end':
      return undefined;
    case 'recheck':
      return `re-checking ${event.name}: ${describeRecheck(event)}, ${event.seeds.length} more run${event.seeds.length === 1 ? '' : 's'} (seed${event.seeds.length === 1 ? '' : 's'} ${formatSeeds(event.seeds)})`;
    case 'recheck-end':
      return undefined;
  }
}

/** "reported 45.0%, reproduced 41.2%" for a claim; the gap to the baseline for task 3.3 alone. */
function describeRecheck(event: Extract<GradeEvent, { type: 'recheck' }>): string {
  const reproduced = `reproduced ${event.reproduced.toFixed(1)}%`;
  if (event.tasks.includes('4.1') && event.reported !== null) {
    return `reported ${event.reported.toFixed(1)}%, ${reproduced}`;
  }
  return `${reproduced}, short of full marks against the baseline`;
}

const USAGE =
  'autograder grade FILE|DIR [--out RESULT|DIR] [--data DIR] [--backend tensorflow|wasm|cpu] [--seed N] [--limit-train N] [--limit-test N] [--workers N]';

const HELP = `Usage: ${USAGE}

Trains every experiment of a submission, scores the rubric and writes the result file
(Gradescope's results.json shape). The result goes beside the submission as NAME${RESULT_SUFFIX}
unless --out names a file (or an existing directory to put it in). With a directory, every *.json in it is graded (results are skipped)
and each result goes beside its submission, or into the directory --out names.

  --data DIR        CIFAR-10 binaries (default: AUTOGRADER_CIFAR10_DIR, else
                    ~/.cache/cifar10-autograder/cifar-10-batches-bin; fetched there on first use)
  --backend NAME    force an engine (default: AUTOGRADER_BACKEND, else the best that loads)
  --seed N          training seed (default: the rubric's)
  --limit-train N   train on the first N training images: a trial (no claim is re-checked,
                    the result says so, and report leaves it out of gradebook CSVs)
  --limit-test N    evaluate on the first N test images
  --workers N       experiments (and files) trained at once, each on its own thread
                    (default: AUTOGRADER_WORKERS, else one per CPU; the tensorflow backend
                    always trains one at a time)

Exit status: 0 graded (whatever the score), 1 invalid submission, grading failed or the data could not be fetched, 2 usage error or unreadable input.`;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
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
  await ensureTrainingData(flags, io);
  const setup = sharedSetup(flags);
  const parallel = trainingWorkers(values.workers, setup, io);
  try {
    return await gradeAll(files, resultFileFor, flags, setup, parallel, io);
  } finally {
    await parallel.close();
  }
}

async function gradeAll(
  files: string[],
  resultFileFor: (file: string) => string,
  flags: ReturnType<typeof trainingFlags>,
  setup: ReturnType<typeof sharedSetup>,
  parallel: ReturnType<typeof trainingWorkers>,
  io: CliIo,
): Promise<number> {
  const reporter = createProgressReporter({ isTTY: io.isTTY, write: io.stdout });
  const deps: Omit<GradeDeps, 'writeResult'> = {
    ...setup,
    train: parallel.train,
    concurrency: parallel.concurrency,
    slice: flags.slice,
    seed: flags.seed,
    lookupCalibration: calibrationLookup(flags.cacheDir),
    onProgress: (progress) => reporter.update(progress),
    onEvent: (event) => {
      if (event.type === 'experiment-end' || event.type === 'recheck-end') {
        reporter.finish(event.outcome);
      }
      const line = describeEvent(event);
      if (line !== undefined) io.stdout(`${line}\n`);
    },
  };
  const graded = await gradeFiles({
    files,
    resultFileFor,
    // Recorded in the result: relative, so the file does not depend on where the repo lives.
    sourceFor: (file) => shownPath(io, file),
    deps,
    concurrency: parallel.concurrency,
    onFileStart: (file, index, total) =>
      io.stdout(`${total > 1 ? `(${index + 1}/${total}) ` : ''}Grading ${shownPath(io, file)}\n`),
    onFileEnd: ({ result, resultFile }) =>
      io.stdout(
        `\n${renderResultText(result)}\nResult written to ${shownPath(io, resultFile)}\n\n`,
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
  return parseCommandArgs({
    args,
    allowPositionals: true,
    options: { ...TRAINING_OPTIONS, out: { type: 'string' }, workers: { type: 'string' } },
  });
}

export const command: Command = {
  usage: USAGE,
  run,
};
