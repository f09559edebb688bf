import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free } from './backend-calls.js';
import { heapOffset, type SimdKernels, simdThreadCount, splitBatch } from './simd-module.js';

/** x with a convolution's padding in place, as the SIMD conv kernels read it. */
export interface PaddedInput {
  info: TensorInfo;
  paddedHeight: number;
  paddedWidth: number;
  /** Frees the padded copy, if one was made. */
  release(): void;
}

/**
 * A zero-padded copy of x (or x itself when the convolution pads nothing). The far side gets
 * only the rows and columns the windows reach, which may be fewer than padInfo says, or none
 * when the windows stop short of x's last ones.
 */
export function padForConv(
  backend: BackendWasm,
  kernels: SimdKernels,
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
): PaddedInput {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - inHeight - top);
  const right = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - inWidth - left);
  const paddedHeight = top + inHeight + bottom;
  const paddedWidth = left + inWidth + right;
  if (top === 0 && left === 0 && bottom === 0 && right === 0) {
    return { info: x, paddedHeight, paddedWidth, release: () => {} };
  }
  const padded = backend.makeOutput([batchSize, paddedHeight, paddedWidth, inChannels], 'float32');
  const [source, target] = [heapOffset(backend, x), heapOffset(backend, padded)];
  kernels.padNhwc(
    source,
    target,
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    top,
    bottom,
    left,
    right,
  );
  return { info: padded, paddedHeight, paddedWidth, release: () => free(backend, padded) };
}

/**
 * The arguments the SIMD conv kernels share after their three pointers: the images
 * [first, first + count) of the batch, on the padded input.
 */
export function convGeometry(
  info: backend_util.Conv2DInfo,
  padded: PaddedInput,
  count: number,
): number[] {
  return [
    count,
    padded.paddedHeight,
    padded.paddedWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
  ];
}

/** Bytes per image of the padded input and of the output (or dy). */
export function imageBytes(
  info: backend_util.Conv2DInfo,
  padded: PaddedInput,
): { input: number; output: number } {
  return {
    input: padded.paddedHeight * padded.paddedWidth * info.inChannels * 4,
    output: info.outHeight * info.outWidth * info.outChannels * 4,
  };
}

/**
 * Below this many multiply-adds a helper thread's wake-up (tens of µs) costs more than half the
 * work saves.
 */
const SPLIT_MIN_MACS = 2 ** 20;

/**
 * The runs of images the SIMD conv kernels split a batch into: one per thread, or the whole
 * batch when the layer is too small to be worth it.
 */
export function convParts(
  backend: BackendWasm,
  info: backend_util.Conv2DInfo,
): { first: number; count: number }[] {
  const parts = convMacs(info) >= SPLIT_MIN_MACS ? simdThreadCount(backend) : 1;
  return splitBatch(info.batchSize, parts);
}

/** The multiply-adds of a convolution (and of each of its gradients). */
export function convMacs(info: backend_util.Conv2DInfo): number {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth } = info;
  const positions = batchSize * outHeight * outWidth;
  return positions * filterHeight * filterWidth * info.inChannels * info.outChannels;
}
