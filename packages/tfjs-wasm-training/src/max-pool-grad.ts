import {
  backend_util,
  type KernelConfig,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { shape4 } from './backend-calls.js';
import { WasmKernelError } from './errors.js';
import { heapOffset, runParts, simdKernels, simdThreadCount, splitBatch } from './simd-module.js';

/**
 * Routes each window's gradient to the first maximum of the window in row-major order, as
 * PyTorch and TensorFlow do (NaN counts as a maximum, as in PyTorch). tfjs-wasm 4.22's built-in
 * kernel misroutes all-negative windows and ties, which silently mistrains Conv → MaxPool → ReLU.
 */
function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  attrs: MaxPoolGradAttrs;
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(
    shape4(input, 'MaxPoolGrad input'),
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { shape, window } = poolGeometry(info);
  const dxInfo = backend.makeOutput(input.shape, 'float32');
  const twoByTwo = isTwoByTwoTiling(shape, window);
  if (twoByTwo && shape.channels % 4 === 0 && simdKernels(backend) !== null) {
    // The same rule as routeTwoByTwo, four channels per instruction (about 7× faster on
    // ConvNet's activations; docs/performance.md).
    runTwoByTwo(backend, 'maxPool2x2Grad', input, shape, [
      [heapOffset(backend, input), 'in'],
      [heapOffset(backend, dy), 'out'],
      [heapOffset(backend, dxInfo), 'in'],
    ]);
    return dxInfo;
  }
  // Views are taken after the last allocation: a heap growth would detach earlier ones.
  const dx = backend.typedArrayFromHeap(dxInfo) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  if (twoByTwo) {
    routeTwoByTwo(x, g, dx, shape);
  } else {
    routeAnyWindow(x, g, dx, shape, window);
  }
  return dxInfo;
}

/**
 * Input values from which a pooling pass splits its images over the threads: below that, a
 * helper's wake-up costs about as much as the half of the pass it takes over.
 */
const SPLIT_MIN_VALUES = 2 ** 19;

function poolParts(backend: BackendWasm, input: TensorInfo): number {
  const size = input.shape.reduce((a, b) => a * b, 1);
  return size >= SPLIT_MIN_VALUES ? simdThreadCount(backend) : 1;
}

/** The shape and window both MaxPool kernels route on, from tfjs's pooling info. */
function poolGeometry(info: backend_util.Conv2DInfo): { shape: PoolShape; window: PoolWindow } {
  return {
    shape: {
      batchSize: info.batchSize,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      channels: info.inChannels,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
    },
    window: {
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      top: info.padInfo.top,
      left: info.padInfo.left,
    },
  };
}

/**
 * Runs a MaxPool2d(2) SIMD kernel over the batch: images are independent, so one run of them
 * per thread. `buffers` are the kernel's tensors in argument order, each its heap address and
 * whether it has the input's or the output's size; the pooling dimensions follow them.
 */
function runTwoByTwo(
  backend: BackendWasm,
  name: 'maxPool2x2' | 'maxPool2x2Grad',
  input: TensorInfo,
  shape: PoolShape,
  buffers: ReadonlyArray<readonly [number, 'in' | 'out']>,
): void {
  const { inHeight, inWidth, channels, outHeight, outWidth } = shape;
  const bytes = { in: inHeight * inWidth * channels * 4, out: outHeight * outWidth * channels * 4 };
  runParts(
    backend,
    splitBatch(shape.batchSize, poolParts(backend, input)).map(({ first, count }) => ({
      name,
      args: [
        ...buffers.map(([at, size]) => at + first * bytes[size]),
        count,
        inHeight,
        inWidth,
        channels,
        outHeight,
        outWidth,
      ],
    })),
  );
}

/**
 * tfjs-wasm's MaxPool, with MaxPool2d(2) on 4k channels on the SIMD kernel (the same window
 * rule as its gradient), on the calling thread for the small activations of narrow layers,
 * where XNNPACK's pooling paid a thread-pool dispatch. Other windows keep the built-in kernel.
 */
export function makeMaxPoolConfig(builtIn: KernelConfig | undefined): KernelConfig {
  if (builtIn === undefined) throw new WasmKernelError('tfjs-backend-wasm has no MaxPool kernel');
  const run = builtIn.kernelFunc;
  function maxPool(args: {
    inputs: { x: TensorInfo };
    attrs: MaxPoolAttrs;
    backend: BackendWasm;
  }): TensorInfo {
    const { inputs, attrs, backend } = args;
    const { x } = inputs;
    const info = backend_util.computePool2DInfo(
      shape4(x, 'MaxPool input'),
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const { shape, window } = poolGeometry(info);
    const simd =
      x.dtype === 'float32' &&
      shape.channels % 4 === 0 &&
      isTwoByTwoTiling(shape, window) &&
      simdKernels(backend) !== null;
    if (!simd) return run(args as unknown as Parameters<typeof run>[0]) as TensorInfo;
    const y = backend.makeOutput([...info.outShape], 'float32');
    if (shape.batchSize * shape.outHeight * shape.outWidth === 0) return y;
    runTwoByTwo(backend, 'maxPool2x2', x, shape, [
      [heapOffset(backend, x), 'in'],
      [heapOffset(backend, y), 'out'],
    ]);
    return y;
  }
  return {
    kernelName: 'MaxPool',
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: maxPool as unknown as KernelConfig['kernelFunc'],
  };
}

interface PoolShape {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
}

interface PoolWindow {
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  top: number;
  left: number;
}

/** MaxPool2d(2): windows that tile the input, never cut by its edge. */
function isTwoByTwoTiling(shape: PoolShape, window: PoolWindow): boolean {
  return (
    window.filterHeight === 2 &&
    window.filterWidth === 2 &&
    window.strideHeight === 2 &&
    window.strideWidth === 2 &&
    window.top === 0 &&
    window.left === 0 &&
    2 * shape.outHeight <= shape.inHeight &&
    2 * shape.outWidth <= shape.inWidth
  );
}

/**
 * The common case, unrolled and branch-free: which of a window's four values wins is data, and
 * as branches it was mispredicted about half the time (3× slower than on all-equal data).
 * Each comparison becomes 0 or 1 and moves the winning address
 * arithmetically, the same rule as `routeAnyWindow`: strictly greater wins, so a tie stays with
 * the earlier position, and NaN wins, as in PyTorch.
 */
function routeTwoByTwo(x: Float32Array, g: Float32Array, dx: Float32Array, shape: PoolShape): void {
  const { batchSize, inHeight, inWidth, channels, outHeight, outWidth } = shape;
  const rowStride = inWidth * channels;
  let out = 0;
  for (let b = 0; b < batchSize; b += 1) {
    for (let oh = 0; oh < outHeight; oh += 1) {
      const rowStart = (b * inHeight + 2 * oh) * rowStride;
      for (let ow = 0; ow < outWidth; ow += 1) {
        const windowStart = rowStart + 2 * ow * channels;
        for (let c = 0; c < channels; c += 1) {
          const topLeft = windowStart + c;
          const bottomLeft = topLeft + rowStride;
          const v0 = x[topLeft] as number;
          const v1 = x[topLeft + channels] as number;
          const v2 = x[bottomLeft] as number;
          const v3 = x[bottomLeft + channels] as number;
          let at = topLeft + (+(v1 > v0) | +Number.isNaN(v1)) * channels;
          let best = x[at] as number;
          at += (+(v2 > best) | +Number.isNaN(v2)) * (bottomLeft - at);
          best = x[at] as number;
          at += (+(v3 > best) | +Number.isNaN(v3)) * (bottomLeft + channels - at);
          dx[at] = g[out + c] as number;
        }
        out += channels;
      }
    }
  }
}

/** Any window, stride and padding; windows may overlap, so gradients accumulate. */
function routeAnyWindow(
  x: Float32Array,
  g: Float32Array,
  dx: Float32Array,
  shape: PoolShape,
  window: PoolWindow,
): void {
  const { batchSize, inHeight, inWidth, channels, outHeight, outWidth } = shape;
  const { filterHeight, filterWidth, strideHeight, strideWidth, top, left } = window;
  const rowStride = inWidth * channels;
  let out = 0;
  for (let b = 0; b < batchSize; b += 1) {
    const image = b * inHeight * rowStride;
    for (let oh = 0; oh < outHeight; oh += 1) {
      const rowStart = oh * strideHeight - top;
      const rowFrom = Math.max(0, rowStart);
      const rowTo = Math.min(inHeight, rowStart + filterHeight);
      for (let ow = 0; ow < outWidth; ow += 1) {
        const colStart = ow * strideWidth - left;
        const colFrom = Math.max(0, colStart);
        const colTo = Math.min(inWidth, colStart + filterWidth);
        const first = image + rowFrom * rowStride + colFrom * channels;
        for (let c = 0; c < channels; c += 1) {
          // The first in-bounds position holds the gradient if no value beats it (also when every
          // value is -Infinity, as in PyTorch).
          let at = first + c;
          let best = x[at] as number;
          for (let row = rowFrom; row < rowTo; row += 1) {
            let position = image + row * rowStride + colFrom * channels + c;
            for (let col = colFrom; col < colTo; col += 1, position += channels) {
              const value = x[position] as number;
              if (value > best || Number.isNaN(value)) {
                best = value;
                at = position;
              }
            }
          }
          dx[at] = (dx[at] as number) + (g[out + c] as number);
        }
        out += channels;
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'],
};
