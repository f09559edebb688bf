import { calibrateBaseline, saveCalibration } from '../../grade/index.js';
import { DEFAULT_RUBRIC, formatCount, formatPercent } from '../../rubric/index.js';
import { createProgressReporter } from '../../train/index.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import {
  ensureTrainingData,
  sharedSetup,
  TRAINING_OPTIONS,
  trainingFlags,
} from '../training-flags.js';
import type { CliIo, Command } from '../types.js';

const USAGE =
  'autograder calibrate [--data DIR] [--backend tensorflow|wasm|cpu] [--limit-train N] [--limit-test N]';

const HELP = `Usage: ${USAGE}

Trains the rubric's baseline (the MLP in rubric/baseline-mlp.json) exactly as submissions are
trained (the rubric's seed and epochs), on this backend and data, and stores its test accuracy. Task 3.3 then compares with it
instead of the course's reference figure (${formatPercent(DEFAULT_RUBRIC.baseline.reference_accuracy)}).
Calibrations are kept under AUTOGRADER_CACHE_DIR (default .cache/ in the package), one per
rubric version, backend and dataset; a slice (--limit-*) is a dataset of its own, so grade a
slice after calibrating the same slice.

Exit status: 0 stored, 1 the baseline did not train or the data could not be fetched, 2 usage error.`;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args);
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const flags = trainingFlags(values, io);
  await ensureTrainingData(flags, io);
  const reporter = createProgressReporter({ isTTY: io.isTTY, write: io.stdout });
  const rubric = DEFAULT_RUBRIC;
  io.stdout(
    `Calibrating the ${rubric.baseline.name} baseline (${formatCount(rubric.baseline.params)} parameters)\n`,
  );
  const record = await calibrateBaseline({
    ...sharedSetup(flags),
    slice: flags.slice,
    rubric,
    onProgress: (progress) => reporter.update(progress),
    onEvent: (event) => {
      if (event.type === 'experiment-end') reporter.finish(event.outcome);
    },
  });
  const file = await saveCalibration(flags.cacheDir, record);
  io.stdout(
    `${rubric.baseline.name} baseline: ${formatPercent(record.accuracy)} on ${record.backend.name} (${record.backend.detail}), ${formatCount(record.dataset.train_images)} training / ${formatCount(record.dataset.test_images)} test images${record.dataset.slice ? ' (a slice)' : ''}.\n` +
      `Stored in ${shownPath(io, file)}; task 3.3 compares with it from now on for this backend and data.\n`,
  );
  return 0;
}

function parse(args: string[]) {
  // The baseline trains with the rubric's seed, so --seed is not offered.
  const { seed: _seed, ...options } = TRAINING_OPTIONS;
  return parseCommandArgs({ args, allowPositionals: false, options });
}

export const command: Command = {
  usage: USAGE,
  run,
};
