import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmKernelError } from '../src/errors.js';
import { convParts } from '../src/simd-conv.js';
import { SIMD_MODULE_SHARED } from '../src/simd-module.generated.js';
import { simdThreadCount, splitBatch } from '../src/simd-module.js';
import { type SimdExports, SimdThreadPool } from '../src/simd-threads.js';
import { wasmApi } from '../src/webassembly-api.js';
import { onBothBackends, randomValues, tiedValues } from './helpers/backends.js';
import { startWasm } from './helpers/wasm.js';

// This file's process runs tfjs-wasm's threaded build, so the SIMD kernels split their work
// between this thread and a helper thread over the shared heap.
beforeAll(async () => {
  await startWasm(2);
});

type Shape4 = [number, number, number, number];

/** How many runs of images the SIMD conv kernels split this layer's batch into here. */
function partsFor(x: Shape4, filter: Shape4, strides: number): number {
  const info = tf.backend_util.computeConv2DInfo(x, filter, strides, 1, 'same');
  return convParts(tf.backend() as BackendWasm, info).length;
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
    { description: 'stride 2, odd batch', x: [7, 33, 33, 8], filter: [3, 3, 8, 12], strides: 2 },
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
      await tf.setBackend('wasm');
      expect(partsFor(x, filter, strides)).toBe(2);

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
    const xShape: Shape4 = [5, 32, 32, 4];
    const filterShape: Shape4 = [3, 3, 4, 8];
    const xValues = randomValues(tf.util.sizeFromShape(xShape), 5);
    const filterValues = randomValues(tf.util.sizeFromShape(filterShape), 6);
    await tf.setBackend('wasm');
    expect(partsFor(xShape, filterShape, 1)).toBe(2);

    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.conv2d(tf.tensor4d(xValues, xShape), tf.tensor4d(filterValues, filterShape), 1, 'same'),
    );

    // Assess
    expect(worstRelativeError(wasm, cpu)).toBeLessThan(1e-5);
  });

  it('MaxPoolGrad matches the cpu kernel, an odd batch split in two', async () => {
    // Prepare
    const shape: [number, number, number, number] = [5, 8, 10, 8];
    const xValues = tiedValues(tf.util.sizeFromShape(shape), 3);

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
});

describe('SimdThreadPool', () => {
  /** The shared build on a fresh shared memory, with one helper thread. */
  function startPool(): { pool: SimdThreadPool; values: Float32Array } {
    const memory = new wasmApi.Memory({ initial: 1, maximum: 65536, shared: true });
    const module = new wasmApi.Module(Buffer.from(SIMD_MODULE_SHARED, 'base64'));
    const local = new wasmApi.Instance(module, { env: { memory } }).exports as SimdExports;
    return {
      pool: new SimdThreadPool(module, memory, local, 1),
      values: new Float32Array(memory.buffer, 0, 64),
    };
  }

  it('runs one call here and one on the helper, both on the shared memory', async () => {
    // Prepare: dst = 1s at byte 0 and 128, src = 2s at byte 64 and 192.
    const { pool, values } = startPool();
    values.fill(1, 0, 16).fill(2, 16, 32).fill(1, 32, 48).fill(2, 48, 64);

    // Act
    pool.runConcurrently([
      { name: 'addInto', args: [0, 64, 16] },
      { name: 'addInto', args: [128, 192, 16] },
    ]);

    // Assess: both halves were added, so both threads ran.
    expect(Array.from(values.subarray(0, 16))).toEqual(Array(16).fill(3));
    expect(Array.from(values.subarray(32, 48))).toEqual(Array(16).fill(3));
    await pool.terminate();
  });

  it('reports a kernel that traps on the helper as an error, after waiting for it', async () => {
    // Prepare
    const { pool } = startPool();
    const outOfBounds = 2 ** 31;

    // Act
    const run = () =>
      pool.runConcurrently([
        { name: 'addInto', args: [0, 64, 4] },
        { name: 'addInto', args: [outOfBounds, 0, 4] },
      ]);

    // Assess
    expect(run).toThrow(WasmKernelError);
    await pool.terminate();
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
