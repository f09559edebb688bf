import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { pickConv2dMethod } from '../src/conv2d.js';
import { pickBackpropFilterMethod } from '../src/conv2d-backprop-filter.js';
import { onBothBackends, randomValues, tiedValues } from './helpers/backends.js';
import { startWasm } from './helpers/wasm.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** float32 sums in a different order: agree to a tolerance scaled by the values' size. */
function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const scale = expected.reduce((max, value) => Math.max(max, Math.abs(value)), 1);
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  expect(worst).toBeLessThanOrEqual(1e-5 * scale * 10);
}

beforeAll(async () => {
  // Two threads: the multi-threaded build, as graded on multi-core machines.
  await startWasm(2);
});

interface ConvCase {
  description: string;
  x: Shape4;
  filter: Shape4;
  strides: [number, number];
  pad: Pad;
}

// tfjs's conv2d gradient rejects dilation > 1 on every backend, so its backprop kernels never
// receive one; dilation is exercised on the depthwise kernels, whose attrs carry it.
const convCases: ConvCase[] = [
  {
    description: 'kernel 1, stride 1, valid',
    x: [2, 6, 6, 3],
    filter: [1, 1, 3, 4],
    strides: [1, 1],
    pad: 'valid',
  },
  {
    description: 'kernel 3, stride 1, same',
    x: [3, 8, 8, 3],
    filter: [3, 3, 3, 8],
    strides: [1, 1],
    pad: 'same',
  },
  {
    description: 'kernel 3, stride 1, valid',
    x: [2, 7, 9, 2],
    filter: [3, 3, 2, 5],
    strides: [1, 1],
    pad: 'valid',
  },
  {
    description: 'kernel 5, stride 1, same',
    x: [2, 9, 9, 4],
    filter: [5, 5, 4, 3],
    strides: [1, 1],
    pad: 'same',
  },
  {
    description: 'kernel 5, stride 1, explicit padding 2',
    x: [2, 8, 8, 3],
    filter: [5, 5, 3, 2],
    strides: [1, 1],
    pad: 2,
  },
  {
    description: 'kernel 3, stride 2, same, odd size',
    x: [2, 9, 9, 3],
    filter: [3, 3, 3, 4],
    strides: [2, 2],
    pad: 'same',
  },
  {
    description: 'kernel 3, stride 2, valid, even size',
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 4],
    strides: [2, 2],
    pad: 'valid',
  },
  {
    description: 'kernel 5, stride 2, same',
    x: [1, 11, 10, 2],
    filter: [5, 5, 2, 3],
    strides: [2, 2],
    pad: 'same',
  },
  {
    description: 'kernel 1, stride 2, valid',
    x: [2, 7, 7, 3],
    filter: [1, 1, 3, 2],
    strides: [2, 2],
    pad: 'valid',
  },
  {
    description: 'kernel 3×5, strides 1×2, asymmetric explicit padding',
    x: [2, 8, 11, 3],
    filter: [3, 5, 3, 4],
    strides: [1, 2],
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
  },
  {
    description: 'padding wider than the kernel reaches',
    x: [1, 5, 5, 2],
    filter: [3, 3, 2, 2],
    strides: [1, 1],
    pad: 3,
  },
  {
    description: 'a course-sized layer, 32×32, 8 → 16 channels',
    x: [4, 32, 32, 8],
    filter: [3, 3, 8, 16],
    strides: [1, 1],
    pad: 1,
  },
  // The SIMD kernel's tiles: 16, 8 and 4 output channels, and rows of dw left over after them.
  {
    description: '28 output channels: a tile of each width, with leftover rows',
    x: [2, 7, 9, 5],
    filter: [3, 3, 5, 28],
    strides: [1, 1],
    pad: 1,
  },
  {
    description: '4 output channels from 3: the first course layer, 27 rows of dw',
    x: [3, 12, 12, 3],
    filter: [3, 3, 3, 4],
    strides: [1, 1],
    pad: 1,
  },
  {
    description: '8 output channels, stride 2, kernel 5, windows short of the far edge',
    x: [2, 12, 12, 4],
    filter: [5, 5, 4, 8],
    strides: [2, 2],
    pad: 1,
  },
  // Strided input gradients on the SIMD kernel: input channels of each tile width, leftovers.
  {
    description: 'stride 2, kernel 3, padding 1, 28 → 12 channels: every tile width',
    x: [2, 9, 9, 28],
    filter: [3, 3, 28, 12],
    strides: [2, 2],
    pad: 1,
  },
  {
    description: 'strides 2×3, kernel 5×3, same, 8 → 4 channels, odd sizes',
    x: [3, 10, 7, 8],
    filter: [5, 3, 8, 4],
    strides: [2, 3],
    pad: 'same',
  },
  {
    description: 'stride 2, kernel 3, asymmetric explicit padding, 4 → 20 channels',
    x: [2, 8, 11, 4],
    filter: [3, 3, 4, 20],
    strides: [2, 2],
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
  {
    description: 'stride 3, kernel 2: rows and columns no window reaches',
    x: [2, 8, 8, 8],
    filter: [2, 2, 8, 8],
    strides: [3, 3],
    pad: 'valid',
  },
  {
    description: '32 output channels, kernel 1, stride 2, valid',
    x: [2, 9, 9, 16],
    filter: [1, 1, 16, 32],
    strides: [2, 2],
    pad: 'valid',
  },
];

function convOutputShape({ x, filter, strides, pad }: ConvCase): number[] {
  return tf.tidy(
    () =>
      tf.conv2d(tf.zeros(x) as tf.Tensor4D, tf.zeros(filter) as tf.Tensor4D, strides, pad).shape,
  );
}

const backpropFilterMethods = ['simd', 'batchAsChannels', 'shiftedPlanes'] as const;
const backpropFilterCases = convCases.flatMap((row) =>
  backpropFilterMethods.map((method) => ({ ...row, method })),
);

describe('Conv2DBackpropFilter on wasm', () => {
  it.each(backpropFilterCases)('matches the cpu kernel, $method: $description', async (row) => {
    // Prepare
    const dyShape = convOutputShape(row);
    const xValues = randomValues(product(row.x), 1);
    const dyValues = randomValues(product(dyShape), 2);

    // Act
    const { cpu, wasm, shape } = await onBothBackends(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.tensor(xValues, row.x), dy: tf.tensor(dyValues, dyShape) },
            {
              strides: row.strides,
              pad: row.pad,
              dataFormat: 'NHWC',
              filterShape: row.filter,
              method: row.method,
            } as never,
          ) as tf.Tensor,
    );

    // Assess
    expect(shape).toEqual(row.filter);
    expectClose(wasm, cpu);
  });

  it.each([
    {
      description: 'ConvNet’s 32×32 8 → 16 layer',
      x: [64, 32, 32, 8],
      filter: [3, 3, 8, 16],
      strides: 1,
      simd: true,
      method: 'simd',
    },
    {
      description: 'a large layer with stride 2',
      x: [64, 32, 32, 16],
      filter: [3, 3, 16, 32],
      strides: 2,
      simd: true,
      method: 'simd',
    },
    {
      description: 'a layer with 3 output channels, which the SIMD kernel cannot take',
      x: [64, 32, 32, 8],
      filter: [3, 3, 8, 3],
      strides: 1,
      simd: true,
      method: 'batchAsChannels',
    },
    {
      description: 'ConvNet’s 32×32 8 → 16 layer, without SIMD',
      x: [64, 32, 32, 8],
      filter: [3, 3, 8, 16],
      strides: 1,
      simd: false,
      method: 'shiftedPlanes',
    },
    {
      description: 'a small 32×32 3 → 4 layer, without SIMD',
      x: [64, 32, 32, 3],
      filter: [3, 3, 3, 4],
      strides: 1,
      simd: false,
      method: 'batchAsChannels',
    },
    {
      description: 'a large layer with stride 2, without SIMD',
      x: [64, 32, 32, 16],
      filter: [3, 3, 16, 32],
      strides: 2,
      simd: false,
      method: 'batchAsChannels',
    },
  ] as const)('takes the measured faster method by default: $description', (row) => {
    // Prepare
    const info = tf.backend_util.computeConv2DInfo(
      [...row.x],
      [...row.filter],
      row.strides,
      1,
      'same',
    );

    // Act
    const method = pickBackpropFilterMethod(info, row.simd);

    // Assess
    expect(method).toBe(row.method);
  });
});

const conv2dCases = convCases.flatMap((row) =>
  (['simd', 'xnnpack'] as const).map((method) => ({ ...row, method })),
);

describe('Conv2D on wasm', () => {
  it.each(conv2dCases)('matches the cpu kernel, $method: $description', async (row) => {
    // Prepare
    const xValues = randomValues(product(row.x), 3);
    const filterValues = randomValues(product(row.filter), 4);

    // Act
    const { cpu, wasm, shape } = await onBothBackends(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2D',
            { x: tf.tensor(xValues, row.x), filter: tf.tensor(filterValues, row.filter) },
            {
              strides: row.strides,
              pad: row.pad,
              dataFormat: 'NHWC',
              dilations: [1, 1],
              method: row.method,
            } as never,
          ) as tf.Tensor,
    );

    // Assess
    expect(shape).toEqual(convOutputShape(row));
    expectClose(wasm, cpu);
  });

  it.each([
    { description: 'a 3 → 4 layer', filter: [3, 3, 3, 4], simd: true, method: 'simd' },
    { description: 'a 4 → 8 layer', filter: [3, 3, 4, 8], simd: true, method: 'simd' },
    { description: 'an 8 → 16 layer', filter: [3, 3, 8, 16], simd: true, method: 'simd' },
    { description: 'a 16 → 32 layer', filter: [3, 3, 16, 32], simd: true, method: 'xnnpack' },
    {
      description: 'a layer with 6 output channels',
      filter: [3, 3, 3, 6],
      simd: true,
      method: 'xnnpack',
    },
    {
      description: 'a 3 → 4 layer without SIMD',
      filter: [3, 3, 3, 4],
      simd: false,
      method: 'xnnpack',
    },
  ] as const)('takes the measured faster kernel by default: $description', (row) => {
    // Prepare
    const info = tf.backend_util.computeConv2DInfo(
      [64, 32, 32, row.filter[2]],
      [...row.filter],
      1,
      1,
      'same',
    );

    // Act
    const method = pickConv2dMethod(info, row.simd);

    // Assess
    expect(method).toBe(row.method);
  });
});

describe('Conv2DBackpropInput on wasm', () => {
  it.each(convCases)('matches the cpu kernel: $description', async (row) => {
    // Prepare
    const dyShape = convOutputShape(row);
    const filterValues = randomValues(product(row.filter), 3);
    const dyValues = randomValues(product(dyShape), 4);

    // Act
    const { cpu, wasm, shape } = await onBothBackends(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: tf.tensor(dyValues, dyShape), filter: tf.tensor(filterValues, row.filter) },
            { strides: row.strides, pad: row.pad, dataFormat: 'NHWC', inputShape: row.x } as never,
          ) as tf.Tensor,
    );

    // Assess
    expect(shape).toEqual(row.x);
    expectClose(wasm, cpu);
  });
});

interface DepthwiseCase {
  description: string;
  x: Shape4;
  filter: Shape4;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
}

const depthwiseCases: DepthwiseCase[] = [
  // Multiplier 1 with a multiple of 4 channels: the SIMD kernels.
  {
    description: 'SIMD: kernel 3, stride 1, same, 8 channels',
    x: [2, 8, 8, 8],
    filter: [3, 3, 8, 1],
    strides: [1, 1],
    dilations: [1, 1],
    pad: 'same',
  },
  {
    description: 'SIMD: kernel 3, stride 2, padding 1, 12 channels, odd sizes',
    x: [3, 9, 7, 12],
    filter: [3, 3, 12, 1],
    strides: [2, 2],
    dilations: [1, 1],
    pad: 1,
  },
  {
    description: 'SIMD: kernel 5×3, strides 2×1, valid, 4 channels',
    x: [2, 11, 6, 4],
    filter: [5, 3, 4, 1],
    strides: [2, 1],
    dilations: [1, 1],
    pad: 'valid',
  },
  {
    description: 'kernel 3, stride 1, same',
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 1],
    strides: [1, 1],
    dilations: [1, 1],
    pad: 'same',
  },
  {
    description: 'kernel 1, stride 1, valid, multiplier 2',
    x: [2, 5, 5, 4],
    filter: [1, 1, 4, 2],
    strides: [1, 1],
    dilations: [1, 1],
    pad: 'valid',
  },
  {
    description: 'kernel 5, stride 2, same, multiplier 3',
    x: [2, 9, 10, 2],
    filter: [5, 5, 2, 3],
    strides: [2, 2],
    dilations: [1, 1],
    pad: 'same',
  },
  {
    description: 'kernel 3, stride 2, valid',
    x: [1, 8, 8, 5],
    filter: [3, 3, 5, 1],
    strides: [2, 2],
    dilations: [1, 1],
    pad: 'valid',
  },
  {
    description: 'kernel 3, explicit padding 1',
    x: [2, 6, 6, 4],
    filter: [3, 3, 4, 1],
    strides: [1, 1],
    dilations: [1, 1],
    pad: 1,
  },
];

function depthwiseOutputShape({ x, filter, strides, dilations, pad }: DepthwiseCase): number[] {
  return tf.tidy(
    () =>
      tf.depthwiseConv2d(
        tf.zeros(x) as tf.Tensor4D,
        tf.zeros(filter) as tf.Tensor4D,
        strides,
        pad as 'same',
        'NHWC',
        dilations,
      ).shape,
  );
}

describe('depthwise backprops on wasm', () => {
  it.each(depthwiseCases)(
    'DepthwiseConv2dNativeBackpropFilter matches the cpu kernel: $description',
    async (row) => {
      // Prepare
      const dyShape = depthwiseOutputShape(row);
      const xValues = randomValues(product(row.x), 5);
      const dyValues = randomValues(product(dyShape), 6);

      // Act
      const { cpu, wasm, shape } = await onBothBackends(
        () =>
          tf
            .engine()
            .runKernel(
              'DepthwiseConv2dNativeBackpropFilter',
              { x: tf.tensor(xValues, row.x), dy: tf.tensor(dyValues, dyShape) },
              {
                strides: row.strides,
                dilations: row.dilations,
                pad: row.pad,
                filterShape: row.filter,
              } as never,
            ) as tf.Tensor,
      );

      // Assess
      expect(shape).toEqual(row.filter);
      expectClose(wasm, cpu);
    },
  );

  it.each(depthwiseCases)(
    'DepthwiseConv2dNativeBackpropInput matches the cpu kernel: $description',
    async (row) => {
      // Prepare
      const dyShape = depthwiseOutputShape(row);
      const filterValues = randomValues(product(row.filter), 7);
      const dyValues = randomValues(product(dyShape), 8);

      // Act
      const { cpu, wasm, shape } = await onBothBackends(
        () =>
          tf
            .engine()
            .runKernel(
              'DepthwiseConv2dNativeBackpropInput',
              { dy: tf.tensor(dyValues, dyShape), filter: tf.tensor(filterValues, row.filter) },
              {
                strides: row.strides,
                dilations: row.dilations,
                pad: row.pad,
                inputShape: row.x,
              } as never,
            ) as tf.Tensor,
      );

      // Assess
      expect(shape).toEqual(row.x);
      expectClose(wasm, cpu);
    },
  );
});

interface PoolCase {
  description: string;
  x: Shape4;
  filterSize: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
  values: (size: number, seed: number) => Float32Array;
}

const poolCases: PoolCase[] = [
  {
    description: '2×2, stride 2, odd size: the last row and column are in no window',
    x: [2, 9, 7, 5],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
    values: tiedValues,
  },
  {
    description: '2×2, stride 2, same padding on an odd size: edge windows are cut',
    x: [2, 9, 9, 3],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'same',
    values: (n, s) => randomValues(n, s, -2, -1),
  },
  // Channels in multiples of 4 take the SIMD kernel (the course layers have 4, 8 and 16).
  {
    description: '2×2, stride 2, 8 channels, ties everywhere',
    x: [2, 8, 6, 8],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
    values: tiedValues,
  },
  {
    description: '2×2, stride 2, 4 channels, odd size: the last row and column are in no window',
    x: [2, 7, 9, 4],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
    values: (n, s) => randomValues(n, s, -5, -1),
  },
  {
    description: '2×2, stride 2, random',
    x: [2, 8, 8, 3],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
    values: randomValues,
  },
  {
    description: '2×2, stride 2, ties everywhere',
    x: [2, 8, 8, 3],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
    values: tiedValues,
  },
  {
    description: '2×2, stride 2, all-negative windows',
    x: [2, 8, 8, 3],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
    values: (n, s) => randomValues(n, s, -5, -1),
  },
  {
    description: '3×3, stride 2, same, negative with ties',
    x: [2, 9, 9, 2],
    filterSize: [3, 3],
    strides: [2, 2],
    pad: 'same',
    values: (n, s) => tiedValues(n, s).map((v) => -1 - v),
  },
  {
    description: '3×3, stride 1, same (overlapping windows)',
    x: [1, 7, 7, 4],
    filterSize: [3, 3],
    strides: [1, 1],
    pad: 'same',
    values: tiedValues,
  },
  {
    description: '3×3, stride 2, valid, odd size',
    x: [2, 11, 11, 3],
    filterSize: [3, 3],
    strides: [2, 2],
    pad: 'valid',
    values: randomValues,
  },
  {
    description: '3×3, stride 1, explicit padding 1',
    x: [2, 6, 6, 3],
    filterSize: [3, 3],
    strides: [1, 1],
    pad: 1,
    values: (n, s) => randomValues(n, s, -3, -1),
  },
  {
    description: '2×3 window, strides 2×1',
    x: [2, 8, 7, 2],
    filterSize: [2, 3],
    strides: [2, 1],
    pad: 'valid',
    values: tiedValues,
  },
];

/**
 * The cpu backend's depthwise backprops ignore dilation (tfjs's gradient never passes one), so a
 * dilated case is checked against the forward op instead: the convolution is linear in each
 * argument, so entry k of a gradient is Σ(forward(one-hot k) · dy).
 */
function gradientByLinearity(
  size: number,
  forward: (probe: tf.Tensor) => tf.Tensor,
  dy: tf.Tensor,
): Float32Array {
  const out = new Float32Array(size);
  for (let k = 0; k < size; k += 1) {
    out[k] = tf.tidy(
      () =>
        forward(tf.oneHot([k], size).reshape([size]).toFloat())
          .mul(dy)
          .sum()
          .dataSync()[0] as number,
    );
  }
  return out;
}

describe('dilated depthwise backprops on wasm', () => {
  const x: Shape4 = [1, 7, 7, 2];
  const filter: Shape4 = [3, 3, 2, 2];
  const attrs = { strides: [1, 1], dilations: [2, 2], pad: 'same' } as const;
  const xValues = randomValues(product(x), 11);
  const filterValues = randomValues(product(filter), 12);
  const dyShape = [1, 7, 7, 4];
  const dyValues = randomValues(product(dyShape), 13);
  const forward = (input: tf.Tensor, weights: tf.Tensor) =>
    tf.depthwiseConv2d(
      input.reshape(x) as tf.Tensor4D,
      weights.reshape(filter) as tf.Tensor4D,
      1,
      'same',
      'NHWC',
      2,
    );

  it('DepthwiseConv2dNativeBackpropFilter matches the forward op, dilation 2', async () => {
    // Prepare
    await tf.setBackend('cpu');
    const expected = tf.tidy(() =>
      gradientByLinearity(
        product(filter),
        (probe) => forward(tf.tensor(xValues), probe),
        tf.tensor(dyValues, dyShape),
      ),
    );

    // Act
    const { wasm } = await onBothBackends(
      () =>
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: tf.tensor(xValues, x), dy: tf.tensor(dyValues, dyShape) },
            { ...attrs, filterShape: filter } as never,
          ) as tf.Tensor,
    );

    // Assess
    expectClose(wasm, expected);
  });

  it('DepthwiseConv2dNativeBackpropInput matches the forward op, dilation 2', async () => {
    // Prepare
    await tf.setBackend('cpu');
    const expected = tf.tidy(() =>
      gradientByLinearity(
        product(x),
        (probe) => forward(probe, tf.tensor(filterValues)),
        tf.tensor(dyValues, dyShape),
      ),
    );

    // Act
    const { wasm } = await onBothBackends(
      () =>
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: tf.tensor(dyValues, dyShape), filter: tf.tensor(filterValues, filter) },
            { ...attrs, inputShape: x } as never,
          ) as tf.Tensor,
    );

    // Assess
    expectClose(wasm, expected);
  });
});

describe('MaxPool on wasm', () => {
  const largeCase: PoolCase = {
    description: '2×2, stride 2, 64 channels, large enough to split over the threads',
    x: [2, 64, 64, 64],
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
    values: randomValues,
  };

  it.each([...poolCases, largeCase])('matches the cpu kernel: $description', async (row) => {
    // Prepare
    const xValues = row.values(product(row.x), 12);

    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.maxPool(tf.tensor4d(xValues, row.x), row.filterSize, row.strides, row.pad),
    );

    // Assess: a maximum is one of the values, exactly.
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
  });

  it('gives NaN for a 2×2 window that holds NaN, as the gradient routes it', async () => {
    // Prepare: four channels, one window each; NaN in channel 1's window.
    const values = Array.from({ length: 16 }, (_, i) => (i === 9 ? Number.NaN : i));
    await tf.setBackend('wasm');

    // Act
    const y = tf.tidy(() => tf.maxPool(tf.tensor4d(values, [1, 2, 2, 4]), 2, 2, 'valid'));

    // Assess
    expect(Array.from(y.dataSync())).toEqual([12, Number.NaN, 14, 15]);
    y.dispose();
  });
});

describe('MaxPoolGrad on wasm', () => {
  it.each(poolCases)('matches the cpu kernel: $description', async (row) => {
    // Prepare
    const xValues = row.values(product(row.x), 9);
    const outShape = tf.tidy(
      () => tf.maxPool(tf.zeros(row.x) as tf.Tensor4D, row.filterSize, row.strides, row.pad).shape,
    );
    const dyValues = randomValues(product(outShape), 10);

    // Act: the gradient of maxPool, through tfjs's own gradient function.
    const { cpu, wasm } = await onBothBackends(() => {
      const x = tf.tensor4d(xValues, row.x);
      const dy = tf.tensor4d(dyValues, outShape as Shape4);
      return tf.grad((input: tf.Tensor) =>
        tf.maxPool(input as tf.Tensor4D, row.filterSize, row.strides, row.pad),
      )(x, dy);
    });

    // Assess
    expectClose(wasm, cpu);
  });

  // One 2×2 window each; tfjs-wasm 4.22's built-in kernel gets the first two wrong.
  const windows = [
    { description: 'an all-negative window', window: [-3, -1, -2, -4], expected: [0, 1, 0, 0] },
    { description: 'a tie: the first maximum', window: [1, 2, 2, 0], expected: [0, 1, 0, 0] },
    {
      description: 'a window with NaN: NaN is the maximum',
      window: [1, Number.NaN, 3, 0],
      expected: [0, 1, 0, 0],
    },
    {
      description: 'an all-equal window: the first',
      window: [-0.5, -0.5, -0.5, -0.5],
      expected: [1, 0, 0, 0],
    },
    { description: 'a tie in the bottom row', window: [0, 1, 3, 3], expected: [0, 0, 1, 0] },
    { description: 'a tie of -0 and 0: the first', window: [-0, 0, 0, -1], expected: [1, 0, 0, 0] },
    {
      description: 'two NaNs: the later one, as PyTorch scans',
      window: [Number.NaN, 1, Number.NaN, 0],
      expected: [0, 0, 1, 0],
    },
    {
      description: 'NaN in the last position',
      window: [1, 2, 3, Number.NaN],
      expected: [0, 0, 0, 1],
    },
  ];

  it.each(windows)(
    'routes the gradient as PyTorch does in $description',
    async ({ window, expected }) => {
      // Prepare
      await tf.setBackend('wasm');
      const x = tf.tensor4d(window, [1, 2, 2, 1]);

      // Act
      const dx = tf.grad((input: tf.Tensor) =>
        tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid').sum(),
      )(x);

      // Assess
      expect(Array.from(dx.dataSync())).toEqual(expected);
      tf.dispose([x, dx]);
    },
  );

  it('routes every window the same way in the 4-channel SIMD kernel', async () => {
    // Prepare: each window above as one channel, four windows to a row of channels.
    await tf.setBackend('wasm');
    const channels = 4;
    const batch = Math.ceil(windows.length / channels);
    const values = new Float32Array(batch * 4 * channels);
    windows.forEach(({ window }, i) => {
      const image = Math.floor(i / channels);
      window.forEach((value, position) => {
        values[(image * 4 + position) * channels + (i % channels)] = value;
      });
    });
    const x = tf.tensor4d(values, [batch, 2, 2, channels]);

    // Act
    const dx = tf.grad((input: tf.Tensor) => tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid').sum())(
      x,
    );

    // Assess
    const routed = dx.dataSync();
    windows.forEach(({ description, expected }, i) => {
      const image = Math.floor(i / channels);
      const got = [0, 1, 2, 3].map((p) => routed[(image * 4 + p) * channels + (i % channels)]);
      expect(got, description).toEqual(expected);
    });
    tf.dispose([x, dx]);
  });
});

describe('an empty batch on wasm', () => {
  it('convolves, pools and takes gradients to empty results and a zero filter gradient', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const x = tf.zeros([0, 8, 8, 4]) as tf.Tensor4D;
    const filter = tf.ones([3, 3, 4, 8]) as tf.Tensor4D;

    // Act
    const y = tf.conv2d(x, filter, 1, 'same');
    const dW = tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, 'same').sum())(filter);
    const dx = tf.grad((input: tf.Tensor) => tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid').sum())(
      x,
    );

    // Assess
    expect(y.shape).toEqual([0, 8, 8, 8]);
    expect(Array.from(dW.dataSync()).every((v) => v === 0)).toBe(true);
    expect(dx.shape).toEqual([0, 8, 8, 4]);
    tf.dispose([x, filter, y, dW, dx]);
  });
});

describe('ReLU’s gradient on wasm', () => {
  it('gives the cpu backend’s values bit for bit: signs of zero, NaN, and a tail past the vectors', async () => {
    // Prepare: 4k + 3 values, so the scalar tail runs too.
    const size = 4 * 25 + 3;
    const special = [0, -0, Number.NaN, 1e-38, -1e-38, Number.POSITIVE_INFINITY];
    const xValues = randomValues(size, 11).map((v, i) => special[i % 9] ?? v);
    const dyValues = randomValues(size, 12, -2, 2);

    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.grad((x: tf.Tensor) => tf.relu(x))(tf.tensor1d(xValues), tf.tensor1d(dyValues)),
    );

    // Assess: Object.is tells -0 from 0 and matches NaN with NaN.
    expect(Array.from(wasm).every((v, i) => Object.is(v, cpu[i]))).toBe(true);
  });
});

describe('a conv net’s gradients on wasm', () => {
  it('match the cpu backend’s for Conv → MaxPool → ReLU → Conv → Dense', async () => {
    // Prepare
    const shapes = {
      x: [4, 12, 12, 3],
      w1: [3, 3, 3, 6],
      w2: [5, 5, 6, 4],
      dense: [(6 * 6 * 4) / 1, 10],
    } as const;
    const values = Object.fromEntries(
      Object.entries(shapes).map(([name, shape], i) => [
        name,
        randomValues(product(shape), 20 + i, -0.5, 0.5),
      ]),
    ) as Record<keyof typeof shapes, Float32Array>;

    // Act: all parameter gradients, concatenated.
    const { cpu, wasm } = await onBothBackends(() => {
      const x = tf.tensor4d(values.x, [...shapes.x]);
      const w1 = tf.tensor4d(values.w1, [...shapes.w1]);
      const w2 = tf.tensor4d(values.w2, [...shapes.w2]);
      const dense = tf.tensor2d(values.dense, [...shapes.dense]);
      const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const h1 = tf.relu(tf.maxPool(tf.conv2d(x, a as tf.Tensor4D, 1, 'same'), 2, 2, 'valid'));
        const h2 = tf.relu(tf.conv2d(h1, b as tf.Tensor4D, 1, 'same'));
        return tf
          .matMul(h2.reshape([4, -1]), c as tf.Tensor2D)
          .square()
          .mean();
      };
      const grads = tf.grads(loss)([w1, w2, dense]);
      return tf.concat(grads.map((g) => g.flatten()));
    });

    // Assess
    expectClose(wasm, cpu);
  });
});

describe('matrix products on wasm, with transposed operands made explicit', () => {
  const products = [
    {
      description: 'aᵀ·b, a dense layer’s weight gradient',
      a: [64, 300],
      b: [64, 10],
      transposeA: true,
      transposeB: false,
    },
    {
      description: 'a·bᵀ, a dense layer’s input gradient',
      a: [64, 10],
      b: [300, 10],
      transposeA: false,
      transposeB: true,
    },
    { description: 'aᵀ·bᵀ', a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
    { description: 'a·b, untouched', a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
    {
      description: 'batched aᵀ·b',
      a: [3, 6, 4],
      b: [3, 6, 5],
      transposeA: true,
      transposeB: false,
    },
    {
      description: 'a classifier’s forward, 64 × 512 × 10 (small: the SIMD kernel)',
      a: [64, 512],
      b: [512, 10],
      transposeA: false,
      transposeB: false,
    },
    {
      description: 'past the small size: XNNPACK',
      a: [128, 300],
      b: [300, 20],
      transposeA: false,
      transposeB: false,
    },
    {
      description: 'batched a·bᵀ with a broadcast batch',
      a: [2, 1, 4, 6],
      b: [3, 5, 6],
      transposeA: false,
      transposeB: true,
    },
  ];

  it.each(products)('BatchMatMul matches the cpu kernel: $description', async (row) => {
    // Prepare
    const aValues = randomValues(product(row.a), 30);
    const bValues = randomValues(product(row.b), 31);

    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.matMul(
        tf.tensor(aValues, row.a),
        tf.tensor(bValues, row.b),
        row.transposeA,
        row.transposeB,
      ),
    );

    // Assess
    expectClose(wasm, cpu);
  });

  it.each(products.slice(0, 4))(
    '_FusedMatMul with bias and ReLU matches the cpu kernel: $description',
    async (row) => {
      // Prepare
      const aValues = randomValues(product(row.a), 32);
      const bValues = randomValues(product(row.b), 33);
      const outColumns = row.transposeB ? (row.b[0] as number) : (row.b[1] as number);
      const biasValues = randomValues(outColumns, 34);

      // Act
      const { cpu, wasm } = await onBothBackends(() =>
        tf.fused.matMul({
          a: tf.tensor2d(aValues, row.a as [number, number]),
          b: tf.tensor2d(bValues, row.b as [number, number]),
          transposeA: row.transposeA,
          transposeB: row.transposeB,
          bias: tf.tensor1d(biasValues),
          activation: 'relu',
        }),
      );

      // Assess
      expectClose(wasm, cpu);
    },
  );

  it.each([
    { description: 'a dense layer’s forward', a: [64, 512], b: [512, 10] },
    { description: 'columns not a multiple of 4', a: [5, 7], b: [7, 6] },
    { description: '13 columns', a: [9, 20], b: [20, 13] },
    { description: '16 columns, all in registers', a: [9, 20], b: [20, 16] },
    { description: '17 columns, summed in memory', a: [9, 20], b: [20, 17] },
    { description: 'past the small size', a: [128, 300], b: [300, 20] },
  ])('_FusedMatMul with a bias alone matches the cpu kernel: $description', async (row) => {
    // Prepare
    const aValues = randomValues(product(row.a), 35);
    const bValues = randomValues(product(row.b), 36);
    const biasValues = randomValues(row.b[1] as number, 37);

    // Act
    const { cpu, wasm } = await onBothBackends(() =>
      tf.fused.matMul({
        a: tf.tensor2d(aValues, row.a as [number, number]),
        b: tf.tensor2d(bValues, row.b as [number, number]),
        bias: tf.tensor1d(biasValues),
      }),
    );

    // Assess
    expectClose(wasm, cpu);
  });
});

describe('Sum on wasm', () => {
  const sums = [
    {
      description: 'over batch, height and width (a conv bias gradient)',
      shape: [16, 8, 8, 12],
      axis: [0, 1, 2],
      keepDims: false,
    },
    {
      description: 'over the batch (a dense bias gradient)',
      shape: [256, 20],
      axis: [0],
      keepDims: false,
    },
    {
      description: 'leading axes given out of order, keeping dims',
      shape: [8, 16, 6, 5],
      axis: [1, 0],
      keepDims: true,
    },
    {
      description: 'leading axes given as negative numbers',
      shape: [8, 16, 40],
      axis: [-3, -2],
      keepDims: false,
    },
    {
      description: 'over 64 windows of 1024 rows (a course conv bias gradient)',
      shape: [64, 32, 32, 3],
      axis: [0, 1, 2],
      keepDims: false,
    },
    {
      description: 'over an odd number of rows, wide (the column loop)',
      shape: [99, 64],
      axis: [0],
      keepDims: false,
    },
    {
      description: 'over rows with a small power-of-two factor, narrow (the column loop)',
      shape: [8, 125, 5],
      axis: [0, 1],
      keepDims: true,
    },
    {
      description: 'inner axes (the built-in path)',
      shape: [8, 16, 40],
      axis: [1, 2],
      keepDims: false,
    },
    {
      description: 'all axes (the built-in path)',
      shape: [64, 100],
      axis: [0, 1],
      keepDims: false,
    },
    {
      description: 'a small tensor (the built-in path)',
      shape: [4, 3, 2],
      axis: [0],
      keepDims: true,
    },
  ];

  it.each(sums)('matches the cpu kernel $description', async (row) => {
    // Prepare
    const values = randomValues(product(row.shape), 40);

    // Act
    const { cpu, wasm, shape } = await onBothBackends(() =>
      tf.sum(tf.tensor(values, row.shape), row.axis, row.keepDims),
    );

    // Assess
    const expectedShape = tf.tidy(() => tf.sum(tf.zeros(row.shape), row.axis, row.keepDims).shape);
    expect(shape).toEqual(expectedShape);
    expectClose(wasm, cpu);
  });
});

describe('Identity and same-dtype Cast on wasm', () => {
  const shares = [
    { description: 'tf.clone of float32', dtype: 'float32', run: (x: tf.Tensor) => tf.clone(x) },
    { description: 'tf.clone of int32', dtype: 'int32', run: (x: tf.Tensor) => tf.clone(x) },
    {
      description: 'a cast to float32 of float32',
      dtype: 'float32',
      run: (x: tf.Tensor) => tf.cast(x, 'float32'),
    },
    {
      description: 'a cast to int32 of float32 (converts)',
      dtype: 'float32',
      run: (x: tf.Tensor) => tf.cast(x, 'int32'),
    },
    {
      description: 'a cast to bool of float32 (converts)',
      dtype: 'float32',
      run: (x: tf.Tensor) => tf.cast(x, 'bool'),
    },
    {
      description: 'a cast to bool of int32 (converts)',
      dtype: 'int32',
      run: (x: tf.Tensor) => tf.cast(x, 'bool'),
    },
  ] as const;

  it.each(shares)('$description outlives its input and frees its buffer', async (row) => {
    // Prepare
    await tf.setBackend('wasm');
    // Zero and 256 (whose low byte is zero) among them, for the casts to bool.
    const values = randomValues(24, 50, -300, 300).map((v) => Math.round(v) + 0);
    values.set([0, 256, -256]);
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = tf.backend().numDataIds();
    const x = tf.tensor(values, [2, 3, 4], row.dtype);
    const expected = tf.tidy(() => row.run(tf.tensor(values, [2, 3, 4], row.dtype)));
    const expectedValues = Array.from(expected.dataSync());
    expected.dispose();

    // Act
    const y = row.run(x);
    x.dispose();
    const after = Array.from(y.dataSync());
    y.dispose();

    // Assess
    expect(after).toEqual(expectedValues);
    expect(after).toEqual(
      Array.from(values).map((v) => (y.dtype === 'bool' ? Number(v !== 0) : v)),
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.backend().numDataIds()).toBe(buffersBefore);
  });
});

describe('per-channel broadcasts on wasm', () => {
  const cases = [
    {
      description: 'a conv bias added',
      op: 'add',
      full: [16, 16, 16, 4],
      vector: [4],
      first: 'full',
    },
    {
      description: 'a vector minus a tensor',
      op: 'sub',
      full: [8, 16, 16, 8],
      vector: [8],
      first: 'vector',
    },
    {
      description: 'a tensor minus a [1,1,1,C] vector',
      op: 'sub',
      full: [8, 16, 16, 8],
      vector: [1, 1, 1, 8],
      first: 'full',
    },
    {
      description: 'a per-channel scale',
      op: 'mul',
      full: [4, 32, 32, 16],
      vector: [16],
      first: 'vector',
    },
    {
      description: 'a prime number of rows (no longer rows exist)',
      op: 'add',
      full: [4099, 3],
      vector: [3],
      first: 'full',
    },
    {
      description: 'a small tensor (the built-in path)',
      op: 'add',
      full: [2, 4, 4, 3],
      vector: [3],
      first: 'full',
    },
    {
      description: 'int32',
      op: 'mul',
      full: [64, 64, 4],
      vector: [4],
      first: 'full',
      dtype: 'int32',
    },
  ] as const;

  it.each(cases)('$description matches the cpu kernel', async (row) => {
    // Prepare
    const dtype = 'dtype' in row ? row.dtype : 'float32';
    const fullValues = randomValues(product(row.full), 70, -50, 50).map(Math.round);
    const vectorValues = randomValues(product(row.vector), 71, -50, 50).map(Math.round);
    const run = { add: tf.add, sub: tf.sub, mul: tf.mul }[row.op];

    // Act
    const { cpu, wasm, shape } = await onBothBackends(() => {
      const full = tf.tensor(fullValues, [...row.full], dtype);
      const vector = tf.tensor(vectorValues, [...row.vector], dtype);
      return row.first === 'full' ? run(full, vector) : run(vector, full);
    });

    // Assess
    expect(shape).toEqual([...row.full]);
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
  });
});
