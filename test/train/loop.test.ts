import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import { analyzeLayers } from '../../src/spec/index.js';
import type { Layer } from '../../src/spec/types.js';
import { selectBackend } from '../../src/train/backend.js';
import { evaluate } from '../../src/train/evaluate.js';
import { type TrainExperimentInput, trainExperiment } from '../../src/train/loop.js';
import { createModel } from '../../src/train/model.js';
import type {
  BackendName,
  ResolvedTraining,
  TrainOutcome,
  TrainProgress,
} from '../../src/train/types.js';

const data = syntheticCifar10({ train: 256, test: 120, seed: 5 });

const conv = (out: number): Layer => ({
  type: 'Conv2d',
  out_channels: out,
  kernel_size: 3,
  padding: 1,
});
const pool: Layer = { type: 'MaxPool2d', kernel_size: 2 };
const tinyNet: Layer[] = [
  conv(4),
  { type: 'ReLU' },
  pool,
  conv(8),
  { type: 'ReLU' },
  pool,
  { type: 'Flatten' },
  { type: 'Linear', out_features: 10 },
];
const regularizedNet: Layer[] = [
  conv(4),
  { type: 'BatchNorm2d' },
  { type: 'ReLU' },
  pool,
  { type: 'Dropout2d', p: 0.1 },
  { type: 'AdaptiveAvgPool2d', output_size: 4 },
  { type: 'Flatten' },
  { type: 'Dropout', p: 0.2 },
  { type: 'Linear', out_features: 10 },
];

const training: ResolvedTraining = {
  optimizer: 'adam',
  lr: 0.01,
  batch_size: 32,
  momentum: 0,
  weight_decay: 0,
  epochs: 2,
};

function input(overrides: Partial<TrainExperimentInput> = {}): TrainExperimentInput {
  return { name: 'tiny', layers: tinyNet, training, data, seed: 42, ...overrides };
}

/** What must repeat exactly for the same seed: everything but wall-clock figures. */
function reproducible(outcome: TrainOutcome) {
  return {
    status: outcome.status,
    params: outcome.params,
    testAccuracy: outcome.testAccuracy,
    testLoss: outcome.testLoss,
    epochs: outcome.epochs.map(({ epoch, loss, accuracy, images }) => ({
      epoch,
      loss,
      accuracy,
      images,
    })),
  };
}

describe('trainExperiment learning', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains a small conv net well above chance, with per-epoch figures, and leaks nothing', async () => {
    // Prepare
    const before = tf.memory().numTensors;

    // Act
    const outcome = await trainExperiment(input());

    // Assess
    expect(outcome.status).toBe('ok');
    expect(outcome.params).toBe(analyzeLayers(tinyNet, '/layers').params);
    expect(outcome.epochs.map((e) => [e.epoch, e.images])).toEqual([
      [1, 256],
      [2, 256],
    ]);
    expect(outcome.epochs[1]?.loss).toBeLessThan(outcome.epochs[0]?.loss ?? 0);
    expect(outcome.testAccuracy).toBeGreaterThan(30);
    expect(outcome.imagesPerSecond).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** The pure-JS cpu backend trains convs at a few images per second: it gets a slice of the data. */
const SLICE: Record<BackendName, Partial<TrainExperimentInput>> = {
  cpu: { limitTrain: 64, limitTest: 32, training: { ...training, epochs: 1 } },
  wasm: {},
  tensorflow: {},
};

describe.each<BackendName>(['cpu', 'wasm'])('trainExperiment on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the same figures for the same seed and other figures for another seed', async () => {
    // Prepare: BatchNorm and both dropouts, so every seeded path is exercised.
    const run = (seed: number) =>
      trainExperiment(input({ layers: regularizedNet, seed, ...SLICE[backend] }));

    // Act
    const first = await run(42);
    const again = await run(42);
    const other = await run(43);

    // Assess
    expect(first.status).toBe('ok');
    expect(reproducible(again)).toEqual(reproducible(first));
    expect(other.epochs[0]?.loss).not.toBe(first.epochs[0]?.loss);
  });
});

describe('trainExperiment’s loss and accuracy on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are the figures cpu gives for the same step (fused on wasm, tfjs’s ops on cpu)', async () => {
    // Prepare: one batch of all the images, so the epoch's figures are those of the first
    // forward pass, before any update could make the two engines drift apart.
    const run = async (backend: BackendName) => {
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const outcome = await trainExperiment(
        input({
          limitTrain: 48,
          limitTest: 8,
          training: { ...training, batch_size: 48, epochs: 1 },
        }),
      );
      return { outcome, leaked: tf.memory().numTensors - before };
    };

    // Act
    const cpu = await run('cpu');
    const wasm = await run('wasm');

    // Assess
    expect(wasm.outcome.status).toBe('ok');
    expect(wasm.leaked).toBe(0);
    expect(wasm.outcome.epochs[0]?.accuracy).toBe(cpu.outcome.epochs[0]?.accuracy);
    expect(wasm.outcome.epochs[0]?.loss).toBeCloseTo(cpu.outcome.epochs[0]?.loss ?? Number.NaN, 4);
  });
});

describe('trainExperiment outcomes', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('stops with "diverged" when the loss stops being finite', async () => {
    // Prepare: a step this large overflows float32 logits after one update.
    const before = tf.memory().numTensors;
    const wild: ResolvedTraining = { ...training, optimizer: 'sgd', lr: 1e38 };

    // Act
    const outcome = await trainExperiment(input({ training: wild }));

    // Assess
    expect(outcome.status).toBe('diverged');
    expect(outcome.message).toMatch(
      /loss became (NaN|Infinity|-Infinity) in epoch 1.*lower learning rate/,
    );
    expect(outcome.testAccuracy).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with "timeout" at the time limit and keeps the epochs done', async () => {
    // Prepare: every clock reading is 50 ms later; an epoch reads the clock a handful of times.
    let now = 0;
    const clock = () => {
      now += 50;
      return now;
    };
    const before = tf.memory().numTensors;
    const oneEpoch = await trainExperiment(input({ clock }));
    const epochMs = (oneEpoch.epochs[0]?.seconds ?? 0) * 1000;
    now = 0;

    // Act
    const outcome = await trainExperiment(input({ clock, timeLimitMs: epochMs * 1.5 }));

    // Assess
    expect(outcome.status).toBe('timeout');
    expect(outcome.epochs).toHaveLength(1);
    expect(outcome.message).toMatch(/epoch 2 of 2.*time limit/);
    expect(tf.memory().numTensors).toBe(before);
  });

  const errorTable: {
    description: string;
    data: Partial<TrainExperimentInput>;
    message: RegExp;
  }[] = [
    {
      description: 'a layer list that does not build',
      data: { layers: [{ type: 'Linear', out_features: 10 }] },
      message: /\/layers\/0: Linear needs a flat input/,
    },
    {
      description: 'a network that does not end in 10 logits',
      data: { layers: [{ type: 'Flatten' }, { type: 'Linear', out_features: 7 }] },
      message: /must end with 10 logits.*\[7\]/,
    },
    {
      description: 'a batch size of zero',
      data: { training: { ...training, batch_size: 0 } },
      message: /batch_size must be a positive integer/,
    },
  ];

  it.each(errorTable)(
    'ends "error" with a message for $description',
    async ({ data: overrides, message }) => {
      // Prepare
      const before = tf.memory().numTensors;

      // Act
      const outcome = await trainExperiment(input(overrides));

      // Assess
      expect(outcome.status).toBe('error');
      expect(outcome.message).toMatch(message);
      expect(outcome.epochs).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('rejects with the abort reason when its signal is aborted, freeing everything', async () => {
    // Prepare
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('grading cancelled');

    // Act
    const run = trainExperiment(
      input({
        signal: controller.signal,
        onProgress: () => controller.abort(reason),
      }),
    );

    // Assess
    await expect(run).rejects.toBe(reason);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports progress: growing totals, images per epoch, and each finished epoch', async () => {
    // Prepare
    const reports: TrainProgress[] = [];

    // Act
    const outcome = await trainExperiment(
      input({ limitTrain: 200, limitTest: 50, onProgress: (p) => reports.push(p) }),
    );

    // Assess
    const totals = reports.map((p) => p.total);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect(reports.every((p) => p.imagesPerEpoch === 200 && p.epochs === 2)).toBe(true);
    expect(reports.filter((p) => p.completedEpoch).map((p) => p.completedEpoch)).toEqual(
      outcome.epochs,
    );
    expect(reports.at(-1)?.total).toBe(400);
    expect(outcome.epochs.map((e) => e.images)).toEqual([200, 200]);
  });
});

describe('evaluate', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs in inference mode: dropout off and BatchNorm on running statistics, so it repeats', async () => {
    // Prepare
    const before = tf.memory().numTensors;
    const model = createModel(regularizedNet, { seed: 3 });

    // Act
    const first = await evaluate(model, data.test, { batchSize: 50 });
    const again = await evaluate(model, data.test, { batchSize: 64 });
    model.dispose();

    // Assess
    expect(first.count).toBe(120);
    expect(again.accuracy).toBe(first.accuracy);
    expect(again.loss).toBeCloseTo(first.loss, 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('evaluates the first `limit` images, whatever the batch size (partial batches included)', async () => {
    // Prepare
    const model = createModel(tinyNet, { seed: 3 });

    // Act
    const whole = await evaluate(model, data.test, { limit: 40, batchSize: 40 });
    const pieces = await evaluate(model, data.test, { limit: 40, batchSize: 7 });
    const more = await evaluate(model, data.test, { limit: 41, batchSize: 7 });
    model.dispose();

    // Assess
    expect([whole.count, pieces.count, more.count]).toEqual([40, 40, 41]);
    expect(pieces.accuracy).toBe(whole.accuracy);
    expect(pieces.loss).toBeCloseTo(whole.loss, 5);
    expect(more.loss).not.toBe(whole.loss);
  });
});
