/** Training settings: the rubric's bounds, and the settings a run actually uses. */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import type { NumericBound, Rubric } from '../rubric/types.js';
import type { ResolvedTraining } from '../train/types.js';
import { pointer } from './pointer.js';
import type { Experiment, SpecError, TrainingSettings } from './types.js';

/** The experiment's settings with the rubric's defaults filled in; epochs are always the rubric's. */
export function resolveTraining(
  experiment: Experiment,
  rubric: Rubric = DEFAULT_RUBRIC,
): ResolvedTraining {
  const defaults = rubric.training.defaults;
  const settings = experiment.training ?? {};
  return {
    optimizer: settings.optimizer ?? defaults.optimizer,
    lr: settings.lr ?? defaults.lr,
    batch_size: settings.batch_size ?? defaults.batch_size,
    momentum: settings.momentum ?? defaults.momentum,
    weight_decay: settings.weight_decay ?? defaults.weight_decay,
    epochs: rubric.training.epochs,
  };
}

const BOUNDED = ['lr', 'batch_size', 'momentum', 'weight_decay'] as const;

/** Settings outside what the rubric allows; `path` points at the experiment's `training`. */
export function trainingErrors(
  settings: TrainingSettings,
  path: string,
  rubric: Rubric = DEFAULT_RUBRIC,
): SpecError[] {
  const errors: SpecError[] = [];
  const allowed = rubric.training.optimizers;
  // Values of the wrong type are the schema's to report; only well-typed ones are checked here.
  if (typeof settings.optimizer === 'string' && !allowed.includes(settings.optimizer)) {
    errors.push({
      path: pointer(path, 'optimizer'),
      message: `training: optimizer "${settings.optimizer}" is not one this rubric allows (${allowed.map((o) => `"${o}"`).join(', ')})`,
    });
  }
  for (const key of BOUNDED) {
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const bound: NumericBound = rubric.training.bounds[key];
    if (value < bound.min || value > bound.max) {
      errors.push({
        path: pointer(path, key),
        message: `training: ${key} is ${value}; the rubric allows ${bound.min} to ${bound.max}`,
      });
    }
  }
  const optimizer = settings.optimizer ?? rubric.training.defaults.optimizer;
  if (typeof settings.momentum === 'number' && settings.momentum !== 0 && optimizer !== 'sgd') {
    errors.push({
      path: pointer(path, 'momentum'),
      message: `training: momentum applies to "sgd" only, but the optimizer is "${optimizer}"`,
    });
  }
  return errors;
}
