import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONV2D_BIAS_RELU,
  type Conv2dBiasReluAttrs,
  hasFusedConv2dBiasRelu,
} from '../src/index.js';
import { onBothBackends, randomValues } from './helpers/backends.js';
import { startWasm } from './helpers/wasm.js';

type Shape4 = [number, number, number, number];
type Pad = Conv2dBiasReluAttrs['pad'];

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** float32 sums in a different order: agree to a tolerance scaled by the values' size. */
function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const scale = expected.reduce((max, value) => Math.max(max, Math.abs(value)), 1);
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  expect(worst).toBeLessThanOrEqual(1e-4 * scale);
}

beforeAll(async () => {
  // Two threads: the multi-threaded build, as graded on multi-core machines.
  await startWasm(2);
});

interface Case {
  description: string;
  x: Shape4;
  filter: Shape4;
  strides: [number, number];
  pad: Pad;
  relu: boolean;
}

const cases: Case[] = [
  {
    description: 'a narrow layer (SIMD conv), padding 1, values not a multiple of 16',
    x: [3, 7, 7, 3],
    filter: [3, 3, 3, 4],
    strides: [1, 1],
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    relu: true,
  },
  {
    description: '16 channels, stride 2, valid',
    x: [2, 9, 9, 4],
    filter: [3, 3, 4, 16],
    strides: [2, 2],
    pad: 'valid',
    relu: true,
  },
  {
    description: 'two channels (the bias repeats within a vector)',
    x: [2, 5, 5, 3],
    filter: [3, 3, 3, 2],
    strides: [1, 1],
    pad: 'same',
    relu: true,
  },
  {
    description: 'channels not a multiple of 4 (XNNPACK conv)',
    x: [2, 7, 6, 5],
    filter: [3, 3, 5, 6],
    strides: [1, 1],
    pad: 'same',
    relu: true,
  },
  {
    description: 'a wide layer (XNNPACK conv), large enough to split over the threads',
    x: [2, 64, 64, 4],
    filter: [1, 1, 4, 64],
    strides: [1, 1],
    pad: 'valid',
    relu: true,
  },
  {
    description: 'the bias alone (no ReLU)',
    x: [2, 6, 6, 3],
    filter: [1, 1, 3, 8],
    strides: [1, 1],
    pad: 'valid',
    relu: false,
  },
];

/**
 * y and the gradients of Σ y·w (a weight per output, so every dy differs) for x, the filter and
 * the bias, flattened into one array: the fused kernel on wasm, conv2d, add and relu elsewhere.
 */
function forwardAndGradients(row: Case) {
  return () => {
    const x = tf.tensor4d(randomValues(product(row.x), 1), row.x);
    const filter = tf.tensor4d(randomValues(product(row.filter), 2, -0.5, 0.5), row.filter);
    const bias = tf.tensor1d(randomValues(row.filter[3], 3, -0.2, 0.2));
    const apply = (input: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D): tf.Tensor => {
      if (hasFusedConv2dBiasRelu()) {
        const attrs: Conv2dBiasReluAttrs = { strides: row.strides, pad: row.pad, relu: row.relu };
        return tf
          .engine()
          .runKernel(
            CONV2D_BIAS_RELU,
            { x: input, filter: w, bias: b },
            attrs as never,
          ) as tf.Tensor;
      }
      const biased = tf.add(tf.conv2d(input, w, row.strides, row.pad), b);
      return row.relu ? tf.relu(biased) : biased;
    };
    const y = apply(x, filter, bias);
    const weights = tf.tensor(randomValues(y.size, 4), y.shape);
    const grads = tf.grads((input, w, b) =>
      tf.sum(tf.mul(apply(input as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D), weights)),
    )([x, filter, bias]);
    return tf.concat([y, ...grads].map((t) => tf.reshape(t, [-1])));
  };
}

describe('the fused conv2d, bias and ReLU', () => {
  it('runs on wasm and not on cpu', async () => {
    // Act
    await tf.setBackend('cpu');
    const onCpu = hasFusedConv2dBiasRelu();
    await tf.setBackend('wasm');
    const onWasm = hasFusedConv2dBiasRelu();

    // Assess
    expect({ onCpu, onWasm }).toEqual({ onCpu: false, onWasm: true });
  });

  it.each(cases)(
    'gives the output and the three gradients the cpu backend gives: $description',
    async (row) => {
      // Act
      const { cpu, wasm } = await onBothBackends(forwardAndGradients(row));

      // Assess
      expectClose(wasm, cpu);
    },
  );

  it('computes no input gradient when only the weights need one', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const x = tf.tensor4d(randomValues(2 * 8 * 8 * 3, 5), [2, 8, 8, 3]);
    const filter = tf.variable(tf.tensor4d(randomValues(3 * 3 * 3 * 4, 6), [3, 3, 3, 4]));
    const bias = tf.variable(tf.tensor1d(randomValues(4, 7)));
    const attrs: Conv2dBiasReluAttrs = { strides: [1, 1], pad: 'same', relu: true };

    // Act
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() =>
        tf.sum(
          tf.engine().runKernel(CONV2D_BIAS_RELU, { x, filter, bias }, attrs as never) as tf.Tensor,
        ),
      );
      tf.dispose([value, ...Object.values(grads)]);
    });

    // Assess
    const names = profile.kernels.map((kernel) => kernel.name);
    expect(names).toContain('Conv2DBackpropFilter');
    expect(names).not.toContain('Conv2DBackpropInput');
    tf.dispose([x, filter, bias]);
  });
});
