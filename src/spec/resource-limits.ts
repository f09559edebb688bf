/** The rubric's resource budget: step memory per experiment and training work per submission. */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import type { Rubric } from '../rubric/types.js';
import { formatCount } from './format-number.js';
import {
  budgetBatchSize,
  CIFAR10_TRAIN_IMAGES,
  type ExperimentResources,
  estimateExperiment,
  TRAINING_MACS_PER_FORWARD_MAC,
} from './resources.js';
import type { Experiment, ExperimentAnalysis, SpecError } from './types.js';

/**
 * Errors for experiments whose training step would need more memory than the rubric allows,
 * and for a submission whose training work exceeds it. Each names the figure, the limit and the
 * layer that dominates it.
 */
export function resourceErrors(
  analysed: Array<{ experiment: Experiment; analysis: ExperimentAnalysis; path: string }>,
  rubric: Rubric = DEFAULT_RUBRIC,
): SpecError[] {
  const errors: SpecError[] = [];
  const { max_step_memory_bytes: maxMemory, max_training_macs: maxWork } = rubric.limits;
  const estimates: ExperimentResources[] = analysed.map(({ experiment, analysis, path }) =>
    estimateExperiment(
      experiment.layers,
      analysis,
      path,
      budgetBatchSize(experiment, rubric),
      rubric.training.epochs,
    ),
  );
  for (const estimate of estimates) {
    if (estimate.stepMemoryBytes <= maxMemory) continue;
    const top = estimate.dominantMemoryLayer;
    const perImage = estimate.layers.reduce((sum, l) => sum + l.valuesPerImage, 0);
    const where = top
      ? ` Most of it is ${top.path} (${top.type}): ${formatCount(Math.round(top.valuesPerImage))} values per image, ${percent(top.valuesPerImage, perImage)} of the activations; fewer channels, less padding or less resolution there, or a smaller batch_size, would fit.`
      : '';
    errors.push({
      path: estimate.path,
      message: `experiment "${estimate.name}": one training step needs an estimated ${formatBytes(estimate.stepMemoryBytes)} at batch_size ${estimate.batchSize} (the activations kept for the backward pass, their gradients and the weights); the rubric allows at most ${formatBytes(maxMemory)}.${where}`,
    });
  }
  const total = estimates.reduce((sum, e) => sum + e.trainingMacs, 0);
  if (total > maxWork) {
    const heaviest = estimates.reduce<ExperimentResources | undefined>(
      (best, e) => (!best || e.trainingMacs > best.trainingMacs ? e : best),
      undefined,
    );
    const layer = heaviest?.dominantMacsLayer;
    const where =
      heaviest && layer
        ? ` Experiment "${heaviest.name}" is ${percent(heaviest.trainingMacs, total)} of it, most of that in ${layer.path} (${layer.type}) with ${formatCount(layer.macs)} multiply-accumulates per image.`
        : '';
    errors.push({
      path: '/experiments',
      message: `training every experiment takes ${formatMacs(total)} multiply-accumulates (MACs per image × ${TRAINING_MACS_PER_FORWARD_MAC} for the forward and backward passes × ${formatCount(CIFAR10_TRAIN_IMAGES)} training images × ${rubric.training.epochs} epochs, summed over the experiments); the rubric allows at most ${formatMacs(maxWork)} per submission.${where}`,
    });
  }
  return errors;
}

/** 2147483648 -> "2.00 GiB"; 5242880 -> "5.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** 2e14 -> "200 trillion"; 3.25e12 -> "3.25 trillion"; 4.5e9 -> "4.5 billion". */
export function formatMacs(macs: number): string {
  const scales: Array<[number, string]> = [
    [1e12, 'trillion'],
    [1e9, 'billion'],
    [1e6, 'million'],
  ];
  for (const [scale, word] of scales) {
    if (macs >= scale) return `${Number((macs / scale).toPrecision(3))} ${word}`;
  }
  return formatCount(macs);
}

function percent(part: number, whole: number): string {
  return `${whole > 0 ? Math.round((100 * part) / whole) : 0}%`;
}
