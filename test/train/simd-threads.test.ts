import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/train/backend.js';
import { createOptimizer } from '../../src/train/optimizers.js';
import { simdThreadCount, splitBatch } from '../../src/train/wasm-kernels/simd-module.js';

// This file's process runs tfjs-wasm's threaded build, so the SIMD kernels split their work
// between this thread and a helper thread over the shared heap.
beforeAll(async () => {
  await selectBackend('wasm', { wasmThreads: 2 });
});

type Shape4 = [number, number, number, number];

/** Seeded uniform values in [low, high). */
function randomValues(size: number, seed: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: size }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return low + ((high - low) * state) / 4294967296;
  });
}

async function onBothBackends(
  compute: () => tf.Tensor,
): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  await tf.setBackend('cpu');
  const reference = tf.tidy(compute);
  const cpu = reference.dataSync() as Float32Array;
  reference.dispose();
  await tf.setBackend('wasm');
  const before = tf.backend().numDataIds();
  const result = tf.tidy(compute);
  const wasm = result.dataSync() as Float32Array;
  result.dispose();
  // Partial results of the helper threads are freed too.
  expect(tf.backend().numDataIds()).toBe(before);
  return { cpu, wasm };
}

function worstRelativeError(actual: Float32Array, expected: Float32Array): number {
  const scale = expected.reduce((max, value) => Math.max(max, Math.abs(value)), 1);
  let worst = 0;
  expected.forEach((value, i) => {
    worst = Math.max(worst, Math.abs((actual[i] as number) - value));
  });
  return worst / scale;
}

describe('SIMD kernels on the threaded wasm backend', () => {
  it('split across two threads', async () => {
    await tf.setBackend('wasm');
    expect(simdThreadCount(tf.backend() as BackendWasm)).toBe(2);
  });

  it.each<{ description: string; x: Shape4; filter: Shape4; strides: number }>([
    {
      description: 'ConvNet’s 8 → 16 layer, 16×16',
      x: [9, 16, 16, 8],
      filter: [3, 3, 8, 16],
      strides: 1,
    },
    { description: 'stride 2, odd batch', x: [7, 17, 17, 4], filter: [3, 3, 4, 12], strides: 2 },
  ])(
    'Conv2DBackpropFilter matches the cpu kernel: $description',
    async ({ x, filter, strides }) => {
      // Prepare
      const dyShape = tf.tidy(
        () =>
          tf.conv2d(tf.zeros(x) as tf.Tensor4D, tf.zeros(filter) as tf.Tensor4D, strides, 'same')
            .shape,
      );
      const xValues = randomValues(tf.util.sizeFromShape(x), 1);
      const dyValues = randomValues(tf.util.sizeFromShape(dyShape), 2);

      // Act
      const { cpu, wasm } = await onBothBackends(
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tf.tensor(xValues, x), dy: tf.tensor(dyValues, dyShape) },
              { strides, pad: 'same', dataFormat: 'NHWC', filterShape: filter } as never,
            ) as tf.Tensor,
      );

      // Assess
      expect(worstRelativeError(wasm, cpu)).toBeLessThan(1e-5);
    },
  );

  it('Conv2D matches the cpu kernel, an odd batch split in two', async () => {
    // Prepare
    const xValues = randomValues(5 * 12 * 12 * 4, 5);
    const filterValues = randomValues(3 * 3 * 4 * 8, 6);

    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.conv2d(
        tf.tensor4d(xValues, [5, 12, 12, 4]),
        tf.tensor4d(filterValues, [3, 3, 4, 8]),
        1,
        'same',
      ),
    );

    // Assess
    expect(worstRelativeError(wasm, cpu)).toBeLessThan(1e-5);
  });

  it('MaxPoolGrad matches the cpu kernel, an odd batch split in two', async () => {
    // Prepare: small integers, so windows hold ties.
    const shape: [number, number, number, number] = [5, 8, 10, 8];
    const xValues = randomValues(tf.util.sizeFromShape(shape), 3, 0, 3).map(Math.floor);

    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.grad((input: tf.Tensor) =>
        tf
          .maxPool(input as tf.Tensor4D, 2, 2, 'valid')
          .square()
          .sum(),
      )(tf.tensor4d(xValues, shape)),
    );

    // Assess: routing is exact.
    expect(wasm).toEqual(cpu);
  });

  it('a training step leaves no tensor behind', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const optimizer = createOptimizer({
      optimizer: 'adam',
      lr: 1e-3,
      momentum: 0,
      weight_decay: 0,
    });
    const filter = tf.variable(tf.randomUniform([3, 3, 3, 8], -0.1, 0.1, 'float32', 1));
    const images = tf.randomUniform([8, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;

    // Act
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () =>
          tf
            .maxPool(tf.relu(tf.conv2d(images, filter as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')
            .sum(),
        [filter],
      );
      optimizer.step([filter], [grads[filter.name] as tf.Tensor]);
    });

    optimizer.dispose();

    // Assess: the optimizer's moments were the only tensors the step kept.
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([filter, images]);
  });
});

describe('splitBatch', () => {
  it.each([
    {
      batch: 64,
      parts: 2,
      expected: [
        { first: 0, count: 32 },
        { first: 32, count: 32 },
      ],
    },
    {
      batch: 5,
      parts: 2,
      expected: [
        { first: 0, count: 2 },
        { first: 2, count: 3 },
      ],
    },
    { batch: 1, parts: 4, expected: [{ first: 0, count: 1 }] },
    { batch: 7, parts: 1, expected: [{ first: 0, count: 7 }] },
  ])(
    'splits $batch images into $parts runs that cover each image once',
    ({ batch, parts, expected }) => {
      expect(splitBatch(batch, parts)).toEqual(expected);
    },
  );
});
