import { createHash } from 'node:crypto';
import type { BackendName } from '../train/types.js';
import type { BaselineRecord, DatasetRecord, Rubric } from './types.js';

/**
 * The dataset's identity in results and calibration keys. The loader's checksum covers the
 * source files; a slice of them is different data, so it gets its own checksum.
 */
export function datasetRecord(
  source: { checksum: string; trainImages: number; testImages: number },
  slice: { limitTrain?: number; limitTest?: number } | undefined,
): DatasetRecord {
  const sliced =
    slice !== undefined && (slice.limitTrain !== undefined || slice.limitTest !== undefined);
  const checksum = sliced
    ? createHash('sha256')
        .update(`${source.checksum}|train:${source.trainImages}|test:${source.testImages}`)
        .digest('hex')
    : source.checksum;
  return {
    checksum,
    source_checksum: source.checksum,
    train_images: source.trainImages,
    test_images: source.testImages,
    slice: sliced
      ? { limit_train: slice.limitTrain ?? null, limit_test: slice.limitTest ?? null }
      : null,
  };
}

/** A calibration is valid for one rubric version, one backend and one dataset (or slice). */
export interface CalibrationKey {
  rubricId: string;
  rubricVersion: string;
  backend: BackendName;
  datasetChecksum: string;
}

export function calibrationKey(
  rubric: Rubric,
  backend: BackendName,
  dataset: DatasetRecord,
): CalibrationKey {
  return {
    rubricId: rubric.id,
    rubricVersion: rubric.version,
    backend,
    datasetChecksum: dataset.checksum,
  };
}

/** The key as one string, as recorded in results: "cifar10-conv@1.0.0/wasm/<sha256>". */
export function formatCalibrationKey(key: CalibrationKey): string {
  return `${key.rubricId}@${key.rubricVersion}/${key.backend}/${key.datasetChecksum}`;
}

/** The rubric's own figure, used when nothing was calibrated for this backend and data. */
export function referenceBaseline(rubric: Rubric): BaselineRecord {
  return {
    name: rubric.baseline.name,
    params: rubric.baseline.params,
    accuracy: rubric.baseline.reference_accuracy,
    source: 'reference',
    calibration_key: null,
  };
}

/** The baseline as measured by `autograder calibrate`. */
export function calibratedBaseline(
  rubric: Rubric,
  key: CalibrationKey,
  accuracy: number,
): BaselineRecord {
  return {
    name: rubric.baseline.name,
    params: rubric.baseline.params,
    accuracy,
    source: 'calibration',
    calibration_key: formatCalibrationKey(key),
  };
}
