import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/train/backend.js';
import { TorchBatchNorm } from '../../src/train/layers/index.js';
import { BATCH_NORM_TRAIN } from '../../src/train/wasm-kernels/index.js';
import { onBothBackends, randomValues } from '../helpers/backends.js';

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** float32 sums in a different order: agree to a tolerance scaled by the values' size. */
function expectClose(actual: Float32Array, expected: Float32Array, relative = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  const scale = expected.reduce((max, value) => Math.max(max, Math.abs(value)), 1);
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(e)) {
      expect(a).toBeNaN();
      continue;
    }
    worst = Math.max(worst, Math.abs(a - e));
  }
  expect(worst).toBeLessThanOrEqual(relative * scale);
}

beforeAll(async () => {
  await selectBackend('wasm', { wasmThreads: 2 });
});

describe('BatchNorm in training mode on wasm', () => {
  it.each([
    { description: '3 channels: no full vector, only the scalar tail', shape: [2, 5, 5, 3] },
    { description: '16 channels, 256 rows: whole blocks of rows', shape: [4, 8, 8, 16] },
    {
      description: '22 channels, 189 rows: vectors, a tail and a short last block',
      shape: [3, 7, 9, 22],
    },
    { description: 'BatchNorm1d: a batch of 6 feature vectors', shape: [5, 6] },
    { description: 'one row: zero variance', shape: [1, 1, 1, 8] },
    { description: 'values far from zero', shape: [8, 4, 4, 8], offset: 100 },
  ])('gives the cpu backend’s output, statistics and gradients: $description', async (row) => {
    // Prepare
    const { shape } = row;
    const channels = shape[shape.length - 1] as number;
    const xValues = randomValues(product(shape), 21).map((v) => v + (row.offset ?? 0));
    const weights = randomValues(product(shape), 22);

    // Act: y, dx, dgamma, dbeta and the running statistics after one step, in one tensor.
    const { cpu, wasm } = await onBothBackends(() => {
      const layer = new TorchBatchNorm({ numFeatures: channels });
      layer.build();
      const x = tf.tensor(xValues, shape);
      const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      tf.tidy(() => {
        (layer.trainableWeights[0] as tf.LayerVariable).write(
          tf.tensor1d(randomValues(channels, 23, 0.5, 1.5)),
        );
      });
      let y: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
        return tf.sum(tf.mul(y, tf.tensor(weights, shape))) as tf.Scalar;
      }, [gamma as tf.Variable, beta as tf.Variable]);
      const dx = tf.grad((input: tf.Tensor) =>
        tf.sum(
          tf.mul(layer.apply(input, { training: true }) as tf.Tensor, tf.tensor(weights, shape)),
        ),
      )(x);
      const running = layer.nonTrainableWeights.map((w) => w.read().flatten());
      const all = tf.concat([
        (y as tf.Tensor).flatten(),
        dx.flatten(),
        (grads[(gamma as tf.Variable).name] as tf.Tensor).flatten(),
        (grads[(beta as tf.Variable).name] as tf.Tensor).flatten(),
        ...running,
      ]);
      (y as tf.Tensor).dispose();
      value.dispose();
      for (const weight of layer.weights) weight.dispose();
      return all;
    });

    // Assess
    expectClose(wasm, cpu);
  });

  it('runs as one kernel each way on wasm, in place of moments, batchNorm and their gradients', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const layer = new TorchBatchNorm({ numFeatures: 8 });
    layer.build();
    const x = tf.tensor(randomValues(2 * 4 * 4 * 8, 24), [2, 4, 4, 8]);

    // Act
    const profile = await tf.profile(() =>
      tf.tidy(() =>
        tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input, { training: true }) as tf.Tensor))(
          x,
        ),
      ),
    );

    // Assess
    const names = profile.kernels.map((kernel) => kernel.name);
    expect(names).toContain(BATCH_NORM_TRAIN);
    expect(names).toContain(`${BATCH_NORM_TRAIN}Grad`);
    expect(names).not.toContain('FusedBatchNorm');
    expect(names).not.toContain('Tile');
    x.dispose();
    for (const weight of layer.weights) weight.dispose();
  });

  it('normalizes an empty batch to an empty result with NaN statistics, as tfjs’s moments does', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;

    // Act
    const [y, mean, variance] = tf
      .engine()
      .runKernel(
        BATCH_NORM_TRAIN,
        { x: tf.zeros([0, 4, 4, 8]), gamma: tf.ones([8]), beta: tf.zeros([8]) },
        { epsilon: 1e-5 },
      ) as tf.Tensor[];

    // Assess
    expect(y?.shape).toEqual([0, 4, 4, 8]);
    expect(Array.from(mean?.dataSync() ?? [])).toEqual(Array(8).fill(Number.NaN));
    expect(Array.from(variance?.dataSync() ?? [])).toEqual(Array(8).fill(Number.NaN));
    tf.dispose([y, mean, variance] as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(before + 3);
  });
});

describe('SplitV and Concat on wasm', () => {
  it.each([
    {
      description: 'channels of NHWC in 4 groups (a grouped conv)',
      shape: [2, 5, 5, 12],
      sizes: 4,
      axis: 3,
    },
    {
      description: 'uneven sizes along the last axis',
      shape: [3, 4, 7],
      sizes: [2, 4, 1],
      axis: -1,
    },
    { description: 'a middle axis', shape: [2, 6, 3, 5], sizes: [1, 5], axis: 1 },
    { description: 'the first axis', shape: [6, 3, 2], sizes: [3, 3], axis: 0 },
    { description: 'an empty part', shape: [2, 3, 8], sizes: [0, 8], axis: 2 },
  ])('split and concatenate as the cpu backend does: $description', async (row) => {
    // Prepare
    const values = randomValues(product(row.shape), 31);

    // Act: each part of the split, reversed and concatenated along the same axis.
    const { cpu, wasm, shape } = await onBothBackends(() => {
      const parts = tf.split(tf.tensor(values, row.shape), row.sizes, row.axis);
      return tf.concat([...parts].reverse(), row.axis);
    });

    // Assess
    expect(shape).toEqual(row.shape);
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
  });

  it('concatenates int32 tensors', async () => {
    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.concat(
        [tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([5, 6], [2, 1], 'int32')],
        1,
      ),
    );

    // Assess
    expect(Array.from(wasm)).toEqual([1, 2, 5, 3, 4, 6]);
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
  });
});
