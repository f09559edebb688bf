import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import {
  type CalibrationRecord,
  calibrateBaseline,
  calibrationFile,
  calibrationLookup,
  GradeError,
  loadCalibration,
  saveCalibration,
} from '../../src/grade/index.js';
import {
  type CalibrationKey,
  DEFAULT_RUBRIC,
  formatCalibrationKey,
} from '../../src/rubric/index.js';
import type { BackendInfo } from '../../src/train/types.js';
import { fakeTrainer } from '../fixtures/grade/fake-trainer.js';

const BACKEND: BackendInfo = {
  name: 'wasm',
  version: '4.22.0',
  detail: 'fake',
  device: 'cpu',
  threads: 1,
};
const DATA = syntheticCifar10({ train: 32, test: 16, seed: 5 });

let cacheDir: string;
beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(tmpdir(), 'autograder-calibration-'));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

function keyOf(record: CalibrationRecord): CalibrationKey {
  return {
    rubricId: record.rubric.id,
    rubricVersion: record.rubric.version,
    backend: record.backend.name,
    datasetChecksum: record.dataset.checksum,
  };
}

describe('calibrateBaseline', () => {
  it("trains the rubric's baseline the way submissions are trained and records the figure", async () => {
    // Prepare
    const train = fakeTrainer({ mlp: { testAccuracy: 41.5 } });
    // Act
    const record = await calibrateBaseline({
      loadData: async () => DATA,
      selectBackend: async () => BACKEND,
      train,
    });
    // Assess
    expect(train.requests).toHaveLength(1);
    expect(train.requests[0]).toMatchObject({
      name: 'mlp',
      seed: DEFAULT_RUBRIC.training.seed,
      training: { optimizer: 'adam', lr: 0.001, batch_size: 64, epochs: 3 },
    });
    expect(record).toMatchObject({
      accuracy: 41.5,
      baseline: { name: 'MLP', params: 308_310 },
      backend: BACKEND,
      dataset: { checksum: DATA.checksum, slice: null },
      key: `cifar10-conv@${DEFAULT_RUBRIC.version}/wasm/${DATA.checksum}`,
    });
    expect(record.experiment.epochs).toHaveLength(3);
  });

  it('refuses to store a baseline that did not finish training', async () => {
    // Prepare
    const train = fakeTrainer({
      mlp: { status: 'diverged', message: 'loss NaN', testAccuracy: undefined },
    });
    // Act
    const run = calibrateBaseline({
      loadData: async () => DATA,
      selectBackend: async () => BACKEND,
      train,
    });
    // Assess
    await expect(run).rejects.toThrow(GradeError);
    await expect(run).rejects.toThrow('the baseline did not finish training (diverged: loss NaN)');
  });
});

describe('the calibration store', () => {
  it('keeps one calibration per rubric version, backend and dataset', async () => {
    // Prepare
    const record = await calibrateBaseline({
      loadData: async () => DATA,
      selectBackend: async () => BACKEND,
      train: fakeTrainer({ mlp: { testAccuracy: 40.25 } }),
    });
    const key = keyOf(record);
    const lookup = calibrationLookup(cacheDir);
    // Act
    const file = await saveCalibration(cacheDir, record);
    const loaded = await loadCalibration(cacheDir, key);
    // Assess
    expect(file).toBe(calibrationFile(cacheDir, key));
    expect(path.relative(cacheDir, file)).toBe(
      path.join(
        'calibrations',
        `cifar10-conv@${DEFAULT_RUBRIC.version}`,
        `wasm-${DATA.checksum}.json`,
      ),
    );
    expect(loaded).toEqual(record);
    expect(await lookup(key)).toBe(40.25);
    expect(await lookup({ ...key, backend: 'cpu' })).toBeUndefined();
    expect(await lookup({ ...key, rubricVersion: '2.0.0' })).toBeUndefined();
    expect(await lookup({ ...key, datasetChecksum: 'f'.repeat(64) })).toBeUndefined();
  });

  it.each([
    { description: 'not JSON', text: '{ oops', says: 'is not valid JSON' },
    {
      description: 'another key',
      text: JSON.stringify({ key: 'x', accuracy: 40 }),
      says: 'does not hold a baseline accuracy for',
    },
    {
      description: 'no accuracy',
      text: JSON.stringify({ key: 'KEY' }),
      says: 'does not hold a baseline accuracy for',
    },
  ])(
    'names a damaged calibration file ($description) and says how to fix it',
    async ({ text, says }) => {
      // Prepare
      const key: CalibrationKey = {
        rubricId: 'r',
        rubricVersion: '1',
        backend: 'cpu',
        datasetChecksum: 'd'.repeat(64),
      };
      const file = calibrationFile(cacheDir, key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text.replace('KEY', formatCalibrationKey(key)));
      // Act
      const load = loadCalibration(cacheDir, key);
      // Assess
      await expect(load).rejects.toThrow(says);
      await expect(load).rejects.toThrow(file);
      await expect(load).rejects.toThrow('run "autograder calibrate" again');
    },
  );
});
