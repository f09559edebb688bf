import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_TRAIN } from '../src/index.js';
import { onBothBackends, randomValues } from './helpers/backends.js';
import { startWasm } from './helpers/wasm.js';

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

beforeAll(async () => {
  await startWasm(2);
});

describe('the fused BatchNorm kernel', () => {
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
