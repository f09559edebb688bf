import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type CalibrationKey,
  calibrationKey,
  type DatasetRecord,
  DEFAULT_BASELINE_SUBMISSION,
  DEFAULT_RUBRIC,
  type ExperimentRecord,
  experimentRecord,
  formatCalibrationKey,
  type Rubric,
} from '../rubric/index.js';
import { analyzeLayers, resolveTraining } from '../spec/index.js';
import type { Submission } from '../spec/types.js';
import { trainExperiment } from '../train/index.js';
import type { BackendInfo } from '../train/types.js';
import { GradeError } from './errors.js';
import { writeJsonFile } from './files.js';
import { loadBackendAndData } from './grade-submission.js';
import type { GradeDeps } from './types.js';

/** What `autograder calibrate` stores: the baseline trained on one backend and one dataset. */
export interface CalibrationRecord {
  format_version: 1;
  /** formatCalibrationKey of the key below. */
  key: string;
  rubric: { id: string; version: string };
  backend: BackendInfo;
  dataset: DatasetRecord;
  seed: number;
  baseline: { name: string; params: number };
  /** Test accuracy in percent: the figure task 3.3 compares with. */
  accuracy: number;
  /** The full run, curves included, so staff can see how the figure came about. */
  experiment: ExperimentRecord;
}

export type CalibrateDeps = Pick<
  GradeDeps,
  | 'loadData'
  | 'slice'
  | 'selectBackend'
  | 'train'
  | 'seed'
  | 'timeLimitMs'
  | 'clock'
  | 'onProgress'
  | 'onEvent'
  | 'signal'
> & {
  rubric?: Rubric;
  /** The baseline network; default: the one the default rubric ships. */
  baseline?: Submission;
};

/**
 * Trains the rubric's baseline the way every submission is trained (same backend, data, epochs,
 * seed) so task 3.3 compares like with like. Throws GradeError when the baseline does not train.
 */
export async function calibrateBaseline(deps: CalibrateDeps): Promise<CalibrationRecord> {
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const baseline = deps.baseline ?? DEFAULT_BASELINE_SUBMISSION;
  const experiment = baseline.experiments.find((e) => e.name === baseline.final);
  if (!experiment) throw new GradeError(`the baseline names no experiment "${baseline.final}"`);
  const analysis = analyzeLayers(experiment.layers, '/experiments/0/layers', {
    limits: rubric.limits,
  });
  if (analysis.errors.length > 0 || analysis.outputShape === undefined) {
    const first = analysis.errors[0];
    throw new GradeError(
      `the baseline network is not valid: ${first ? `${first.path}: ${first.message}` : 'no output'}`,
    );
  }
  const { backend, data, dataset } = await loadBackendAndData(deps);
  const seed = deps.seed ?? rubric.training.seed;
  const train = deps.train ?? trainExperiment;
  deps.onEvent?.({ type: 'experiment-start', name: experiment.name, index: 0, total: 1 });
  const outcome = await train({
    name: experiment.name,
    layers: experiment.layers,
    training: resolveTraining(experiment, rubric),
    data,
    seed,
    timeLimitMs: deps.timeLimitMs ?? rubric.training.time_limit_seconds_per_experiment * 1000,
    clock: deps.clock,
    onProgress: deps.onProgress,
    signal: deps.signal,
  });
  deps.onEvent?.({ type: 'experiment-end', name: experiment.name, index: 0, total: 1, outcome });
  if (outcome.status !== 'ok' || outcome.testAccuracy === undefined) {
    throw new GradeError(
      `the baseline did not finish training (${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}); nothing was stored`,
    );
  }
  const key = calibrationKey(rubric, backend.name, dataset);
  return {
    format_version: 1,
    key: formatCalibrationKey(key),
    rubric: { id: rubric.id, version: rubric.version },
    backend,
    dataset,
    seed,
    baseline: { name: rubric.baseline.name, params: analysis.params },
    accuracy: outcome.testAccuracy,
    experiment: experimentRecord(
      experiment,
      {
        name: experiment.name,
        params: analysis.params,
        macs: analysis.macs,
        outputShape: analysis.outputShape,
        layers: analysis.rows,
      },
      true,
      outcome,
    ),
  };
}

/** File names keep to a safe alphabet whatever a rubric's id or version holds. */
function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9@._-]/g, '_');
}

/** Where a calibration lives: <cacheDir>/calibrations/<rubric>@<version>/<backend>-<dataset sha256>.json. */
export function calibrationFile(cacheDir: string, key: CalibrationKey): string {
  return path.join(
    cacheDir,
    'calibrations',
    safeSegment(`${key.rubricId}@${key.rubricVersion}`),
    `${safeSegment(key.backend)}-${safeSegment(key.datasetChecksum)}.json`,
  );
}

/** Stores a calibration (written to a temporary name, then renamed: never half a file). */
export async function saveCalibration(
  cacheDir: string,
  record: CalibrationRecord,
): Promise<string> {
  const key: CalibrationKey = {
    rubricId: record.rubric.id,
    rubricVersion: record.rubric.version,
    backend: record.backend.name,
    datasetChecksum: record.dataset.checksum,
  };
  const file = calibrationFile(cacheDir, key);
  await writeJsonFile(file, record);
  return file;
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

/** The stored calibration for a key, undefined when there is none; a damaged file is an error naming it. */
export async function loadCalibration(
  cacheDir: string,
  key: CalibrationKey,
): Promise<CalibrationRecord | undefined> {
  const file = calibrationFile(cacheDir, key);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isNodeError(error) && error.code === 'ENOENT') return undefined;
    throw new GradeError(
      `cannot read the calibration ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const redo = 'delete it and run "autograder calibrate" again';
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    throw new GradeError(
      `the calibration ${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${redo}`,
    );
  }
  const expected = formatCalibrationKey(key);
  if (
    typeof record !== 'object' ||
    record === null ||
    !('key' in record) ||
    record.key !== expected ||
    !('accuracy' in record) ||
    typeof record.accuracy !== 'number' ||
    !Number.isFinite(record.accuracy)
  ) {
    throw new GradeError(
      `the calibration ${file} does not hold a baseline accuracy for ${expected}; ${redo}`,
    );
  }
  return record as CalibrationRecord;
}

/** A lookup for gradeSubmission backed by calibrations stored under cacheDir. */
export function calibrationLookup(
  cacheDir: string,
): (key: CalibrationKey) => Promise<number | undefined> {
  return async (key) => (await loadCalibration(cacheDir, key))?.accuracy;
}
