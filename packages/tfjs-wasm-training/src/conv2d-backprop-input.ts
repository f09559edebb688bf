import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, free, requireChannelsLast, shape4, transpose } from './backend-calls.js';
import { nhwcPadding, type Pads2d } from './padding.js';
import { convParts } from './simd-conv.js';
import { heapOffset, runParts, type SimdKernels, simdKernels } from './simd-module.js';

type KernelFunc = KernelConfig['kernelFunc'];

/**
 * Strided convolutions (and any other the stride-1 method cannot take) use this project's SIMD
 * kernel where the input has a multiple of 4 channels, else tfjs-wasm's built-in kernel.
 * For stride 1, dx is the convolution of dy with the filter flipped in space and with its
 * channel axes swapped, padded by (kernel − 1 − pad) on each side. That runs on XNNPACK's conv,
 * several times faster than tfjs-wasm's own Conv2DBackpropInput (a scalar loop, the slowest op
 * of a training step).
 */
export function makeConv2dBackpropInputConfig(builtIn: KernelConfig | undefined): KernelConfig {
  function conv2dBackpropInput(args: {
    inputs: { dy: TensorInfo; filter: TensorInfo };
    attrs: Conv2DBackpropInputAttrs;
    backend: BackendWasm;
  }): TensorInfo {
    const { inputs, attrs, backend } = args;
    const { dy, filter } = inputs;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
    requireChannelsLast(dataFormat, 'Conv2DBackpropInput');
    const info = backend_util.computeConv2DInfo(
      inputShape,
      shape4(filter, 'Conv2DBackpropInput filter'),
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const { top, bottom, left, right } = info.padInfo;
    const full: Pads2d = {
      top: filterHeight - 1 - top,
      bottom: filterHeight - 1 - bottom,
      left: filterWidth - 1 - left,
      right: filterWidth - 1 - right,
    };
    const fastPath =
      strideHeight === 1 &&
      strideWidth === 1 &&
      Math.min(full.top, full.bottom, full.left, full.right) >= 0;
    const kernels = simdKernels(backend);
    if (!fastPath && kernels !== null && info.inChannels % 4 === 0) {
      return bySimdKernel(backend, kernels, dy, filter, info);
    }
    if (!fastPath) {
      if (builtIn === undefined) {
        throw new Error('tfjs-backend-wasm has no Conv2DBackpropInput kernel to fall back on');
      }
      return builtIn.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    const flipped = callWasmKernel(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = transpose(backend, flipped, [0, 1, 3, 2]);
    free(backend, flipped);
    const dx = callWasmKernel(backend, 'Conv2D', { x: dy, filter: swapped }, {
      strides: [1, 1],
      dilations: [1, 1],
      pad: nhwcPadding(full),
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    } as unknown as Record<string, never>);
    free(backend, swapped);
    return dx;
  }
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    // The built-in kernel binds its wasm function in setup; keep that for the strided fallback.
    ...(builtIn?.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: conv2dBackpropInput as unknown as KernelFunc,
  };
}

/**
 * The SIMD kernel: dy times the filter (channel axes swapped) scattered into a padded dx, one
 * run of images per thread, then the padding cropped off.
 */
function bySimdKernel(
  backend: BackendWasm,
  kernels: SimdKernels,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  if (batchSize === 0) return backend.makeOutput([0, inHeight, inWidth, inChannels], 'float32');
  // Every row and column a window reaches, and all of x's.
  const paddedHeight = Math.max(top + inHeight, (outHeight - 1) * strideHeight + filterHeight);
  const paddedWidth = Math.max(left + inWidth, (outWidth - 1) * strideWidth + filterWidth);
  const swapped = transpose(backend, filter, [0, 1, 3, 2]);
  const dxp = backend.makeOutput([batchSize, paddedHeight, paddedWidth, inChannels], 'float32');
  const imageBytes = {
    input: paddedHeight * paddedWidth * inChannels * 4,
    output: outHeight * outWidth * outChannels * 4,
  };
  const dyAt = heapOffset(backend, dy);
  const wtAt = heapOffset(backend, swapped);
  const dxpAt = heapOffset(backend, dxp);
  runParts(
    backend,
    convParts(backend, info).map(({ first, count }) => ({
      name: 'conv2dBackpropInput',
      args: [
        dyAt + first * imageBytes.output,
        wtAt,
        dxpAt + first * imageBytes.input,
        count,
        paddedHeight,
        paddedWidth,
        inChannels,
        outHeight,
        outWidth,
        outChannels,
        filterHeight,
        filterWidth,
        strideHeight,
        strideWidth,
      ],
    })),
  );
  free(backend, swapped);
  if (top === 0 && left === 0 && paddedHeight === inHeight && paddedWidth === inWidth) return dxp;
  const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  if (batchSize > 0) {
    kernels.cropNhwc(
      heapOffset(backend, dxp),
      heapOffset(backend, dx),
      batchSize,
      paddedHeight,
      paddedWidth,
      inChannels,
      inHeight,
      inWidth,
      top,
      left,
    );
  }
  free(backend, dxp);
  return dx;
}
