import {
  backend_util,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, shape4 } from './backend-calls.js';
import { padForConv } from './simd-conv.js';
import { heapOffset, type SimdKernels, simdKernels } from './simd-module.js';

type DepthwiseInfo = backend_util.Conv2DInfo;

/**
 * Visits every (input pixel, output pixel, filter tap) triple of a depthwise convolution once,
 * handing contiguous channel runs to `visit`: both backprops are this walk with a different
 * multiply-accumulate. The SIMD kernels take the common case (multiplier 1, no dilation, a
 * multiple of 4 channels: MobileNet's blocks); this loop the rest.
 */
function walkDepthwise(
  info: DepthwiseInfo,
  visit: (xOffset: number, dyOffset: number, filterOffset: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < batchSize; b += 1) {
    for (let oh = 0; oh < outHeight; oh += 1) {
      for (let kh = 0; kh < filterHeight; kh += 1) {
        const ih = oh * strideHeight - top + kh * dilationHeight;
        if (ih < 0 || ih >= inHeight) continue;
        for (let ow = 0; ow < outWidth; ow += 1) {
          const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
          for (let kw = 0; kw < filterWidth; kw += 1) {
            const iw = ow * strideWidth - left + kw * dilationWidth;
            if (iw < 0 || iw >= inWidth) continue;
            visit(
              ((b * inHeight + ih) * inWidth + iw) * inChannels,
              dyOffset,
              (kh * filterWidth + kw) * outChannels,
            );
          }
        }
      }
    }
  }
}

function depthwiseBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const { x, dy } = inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    shape4(x, 'DepthwiseConv2dNativeBackpropFilter input x'),
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const kernels = simdKernels(backend);
  if (kernels !== null && simdApplies(info)) return filterGradBySimd(backend, kernels, x, dy, info);
  const { inChannels } = info;
  const multiplier = info.outChannels / inChannels;
  const dwInfo = backend.makeOutput(filterShape, 'float32');
  const dw = backend.typedArrayFromHeap(dwInfo) as Float32Array;
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dw.fill(0);
  walkDepthwise(info, (xOffset, dyOffset, filterOffset) => {
    for (let c = 0; c < inChannels; c += 1) {
      const value = xs[xOffset + c] as number;
      const out = c * multiplier;
      for (let m = 0; m < multiplier; m += 1) {
        const tap = filterOffset + out + m;
        dw[tap] = (dw[tap] as number) + value * (g[dyOffset + out + m] as number);
      }
    }
  });
  return dwInfo;
}

function depthwiseBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const { dy, filter } = inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    shape4(filter, 'DepthwiseConv2dNativeBackpropInput filter'),
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const kernels = simdKernels(backend);
  if (kernels !== null && simdApplies(info))
    return inputGradBySimd(backend, kernels, dy, filter, info);
  const { inChannels } = info;
  const multiplier = info.outChannels / inChannels;
  const dxInfo = backend.makeOutput(inputShape, 'float32');
  const dx = backend.typedArrayFromHeap(dxInfo) as Float32Array;
  const w = backend.typedArrayFromHeap(filter) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  walkDepthwise(info, (xOffset, dyOffset, filterOffset) => {
    for (let c = 0; c < inChannels; c += 1) {
      const out = c * multiplier;
      let sum = 0;
      for (let m = 0; m < multiplier; m += 1) {
        sum += (w[filterOffset + out + m] as number) * (g[dyOffset + out + m] as number);
      }
      dx[xOffset + c] = (dx[xOffset + c] as number) + sum;
    }
  });
  return dxInfo;
}

function simdApplies(info: DepthwiseInfo): boolean {
  return (
    info.outChannels === info.inChannels &&
    info.inChannels % 4 === 0 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.batchSize > 0
  );
}

/** The geometry after the three pointers, for `count` images of the padded input. */
function depthwiseGeometry(
  info: DepthwiseInfo,
  paddedHeight: number,
  paddedWidth: number,
  count: number,
): [number, number, number, number, number, number, number, number, number, number] {
  return [
    count,
    paddedHeight,
    paddedWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
  ];
}

function filterGradBySimd(
  backend: BackendWasm,
  kernels: SimdKernels,
  x: TensorInfo,
  dy: TensorInfo,
  info: DepthwiseInfo,
): TensorInfo {
  const padded = padForConv(backend, kernels, x, info);
  const dw = backend.makeOutput(
    [info.filterHeight, info.filterWidth, info.inChannels, 1],
    'float32',
  );
  kernels.depthwiseFilterGrad(
    heapOffset(backend, padded.info),
    heapOffset(backend, dy),
    heapOffset(backend, dw),
    ...depthwiseGeometry(info, padded.paddedHeight, padded.paddedWidth, info.batchSize),
  );
  padded.release();
  return dw;
}

function inputGradBySimd(
  backend: BackendWasm,
  kernels: SimdKernels,
  dy: TensorInfo,
  filter: TensorInfo,
  info: DepthwiseInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const paddedHeight = Math.max(top + inHeight, (outHeight - 1) * strideHeight + filterHeight);
  const paddedWidth = Math.max(left + inWidth, (outWidth - 1) * strideWidth + filterWidth);
  const dxp = backend.makeOutput([batchSize, paddedHeight, paddedWidth, inChannels], 'float32');
  kernels.depthwiseInputGrad(
    heapOffset(backend, dy),
    heapOffset(backend, filter),
    heapOffset(backend, dxp),
    ...depthwiseGeometry(info, paddedHeight, paddedWidth, batchSize),
  );
  if (top === 0 && left === 0 && paddedHeight === inHeight && paddedWidth === inWidth) return dxp;
  const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
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
  free(backend, dxp);
  return dx;
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelConfig['kernelFunc'],
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as KernelConfig['kernelFunc'],
};
