import { mean, sampleSd } from '../fairness/normal.js';
import type { Experiment, ExperimentAnalysis } from '../spec/types.js';
import type { TrainOutcome } from '../train/types.js';
import type {
  EpochRecord,
  ExperimentRecord,
  RecheckRecord,
  RecheckRun,
  TaskNumber,
} from './types.js';

/** NaN and Infinity have no JSON form; the file says null instead. */
function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/**
 * The result file's figures for one experiment: static ones from the validator, measured ones
 * from training. Without an outcome it is "not_run", with notRunMessage saying why.
 */
export function experimentRecord(
  experiment: Experiment,
  analysis: ExperimentAnalysis,
  final: boolean,
  outcome?: TrainOutcome,
  notRunMessage = 'grading stopped before this experiment was trained',
): ExperimentRecord {
  const reported = {
    params: experiment.reported?.params ?? null,
    test_accuracy: experiment.reported?.test_accuracy ?? null,
  };
  const base = {
    name: experiment.name,
    final,
    params: analysis.params,
    macs: analysis.macs,
    reported,
  };
  if (!outcome) {
    return {
      ...base,
      status: 'not_run',
      message: notRunMessage,
      test_accuracy: null,
      test_loss: null,
      epochs: [],
      seconds: 0,
      images_per_second: 0,
      recheck: null,
    };
  }
  const epochs: EpochRecord[] = outcome.epochs.map((e) => ({
    epoch: e.epoch,
    loss: finiteOrNull(e.loss),
    accuracy: finiteOrNull(e.accuracy),
    seconds: e.seconds,
    images: e.images,
  }));
  return {
    ...base,
    status: outcome.status,
    message: outcome.message ?? null,
    test_accuracy: finiteOrNull(outcome.testAccuracy),
    test_loss: finiteOrNull(outcome.testLoss),
    epochs,
    seconds: outcome.seconds,
    images_per_second: outcome.imagesPerSecond,
    recheck: null,
  };
}

/**
 * The record of a re-check: its runs in seed order, and the mean and sample sd of the test
 * accuracy over the first run and them, or nulls when any run has no accuracy.
 */
export function recheckRecord(
  first: ExperimentRecord,
  plan: { reason: string; tasks: TaskNumber[] },
  runs: Array<{ seed: number; outcome: TrainOutcome }>,
): RecheckRecord {
  const recorded: RecheckRun[] = runs.map(({ seed, outcome }) => ({
    seed,
    status: outcome.status,
    test_accuracy: finiteOrNull(outcome.testAccuracy),
    message: outcome.message ?? null,
    seconds: outcome.seconds,
  }));
  const values = [
    first.test_accuracy,
    ...recorded.map((r) => (r.status === 'ok' ? r.test_accuracy : null)),
  ];
  const accuracies = values.filter((v): v is number => v !== null);
  const complete = accuracies.length === values.length;
  return {
    reason: plan.reason,
    tasks: [...plan.tasks],
    runs: recorded,
    mean: complete ? mean(accuracies) : null,
    sd: complete ? sampleSd(accuracies) : null,
  };
}
