import {
  backend_util,
  type KernelConfig,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { shape4 } from './backend-calls.js';

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
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;

  const dxInfo = backend.makeOutput(input.shape, 'float32');
  // Views are taken after the last allocation: a heap growth would detach earlier ones.
  const dx = backend.typedArrayFromHeap(dxInfo) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  // Per-channel running maximum and its flat index, so the innermost loop is over contiguous channels.
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);
  const rowStride = inWidth * channels;
  let dyOffset = 0;
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
        best.fill(Number.NEGATIVE_INFINITY);
        // The first in-bounds position, in case every value is -Infinity (PyTorch's choice too).
        where.fill(image + rowFrom * rowStride + colFrom * channels);
        for (let row = rowFrom; row < rowTo; row += 1) {
          for (let col = colFrom; col < colTo; col += 1) {
            const base = image + row * rowStride + col * channels;
            for (let c = 0; c < channels; c += 1) {
              const value = x[base + c] as number;
              if (value > (best[c] as number) || Number.isNaN(value)) {
                best[c] = value;
                where[c] = base;
              }
            }
          }
        }
        for (let c = 0; c < channels; c += 1) {
          const target = (where[c] as number) + c;
          dx[target] = (dx[target] as number) + (g[dyOffset + c] as number);
        }
        dyOffset += channels;
      }
    }
  }
  return dxInfo;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'],
};
