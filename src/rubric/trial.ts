import { formatCount } from './format.js';
import type { DatasetRecord, ResultFile, TrialRecord } from './types.js';

/** CIFAR-10's full splits. A grade on fewer images is a trial of the grader, not a grade. */
export const FULL_TRAIN_IMAGES = 50_000;
export const FULL_TEST_IMAGES = 10_000;

/**
 * Why a run on this data is a trial, or null for a grade. Students report figures from the full
 * data; on fewer images every accuracy is lower, so re-checking their claims would only spend
 * more runs (each re-check trains the experiment again) on a comparison that cannot hold.
 */
export function trialOf(dataset: DatasetRecord | null): TrialRecord | null {
  if (!dataset) return null;
  const short = dataset.train_images < FULL_TRAIN_IMAGES || dataset.test_images < FULL_TEST_IMAGES;
  if (dataset.slice === null && !short) return null;
  const what = dataset.slice ? 'a slice of CIFAR-10' : 'a smaller copy of CIFAR-10';
  return {
    reason: `trained on ${what} (${formatCount(dataset.train_images)} of ${formatCount(FULL_TRAIN_IMAGES)} training and ${formatCount(dataset.test_images)} of ${formatCount(FULL_TEST_IMAGES)} test images), so accuracies are lower than the full-data figures students report: no claim was re-checked, and the score is not a grade`,
  };
}

/** A result's trial, if it was one; files written before trials were recorded are told by their data. */
export function trialOfResult(
  extra: Pick<ResultFile['extra_data'], 'trial' | 'dataset'>,
): TrialRecord | null {
  return extra.trial ?? trialOf(extra.dataset);
}

export function isTrialResult(result: ResultFile): boolean {
  return trialOfResult(result.extra_data) !== null;
}
