import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, free, requireChannelsLast, shape4, transpose } from './backend-calls.js';
import { nhwcPadding } from './padding.js';
import { convGeometry, convMacs, convParts, imageBytes, padForConv } from './simd-conv.js';
import { heapOffset, runParts, type SimdKernels, simdKernels } from './simd-module.js';

type ConvInfo = backend_util.Conv2DInfo;

/**
 * Which way `conv2dBackpropFilter` computes dW. An optional `method` attr forces one (for the
 * benchmark that picks and the tests). The SIMD kernel needs a multiple of 4 output channels
 * and shifted planes stride 1; where a forced method cannot apply, batch-as-channels does.
 */
export type BackpropFilterMethod = 'simd' | 'shiftedPlanes' | 'batchAsChannels';

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[n,oh,ow,co]
 *
 * by this project's SIMD kernel where it applies, else by one of two XNNPACK products.
 */
function conv2dBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  attrs: Conv2DBackpropFilterAttrs & { method?: BackpropFilterMethod };
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  requireChannelsLast(dataFormat, 'Conv2DBackpropFilter');
  const info = backend_util.computeConv2DInfo(
    shape4(x, 'Conv2DBackpropFilter input x'),
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const kernels = simdKernels(backend);
  const method = attrs.method ?? pickBackpropFilterMethod(info, kernels !== null);
  const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
  if (method === 'simd' && kernels !== null && info.outChannels % 4 === 0) {
    return bySimdKernel(backend, kernels, x, dy, info);
  }
  return method === 'shiftedPlanes' && stride1
    ? byShiftedPlanes(backend, x, dy, info)
    : byBatchAsChannels(backend, x, dy, info);
}

/**
 * The XNNPACK methods spend most of their time packing their weight operand (dy, fresh every
 * call) before the GEMM; the SIMD kernel streams both operands instead and wins on every course
 * layer (bench/conv-kernels.ts). Between the two XNNPACK methods, shifted planes win on large
 * layers and lose on small ones, where the copies cost more than they save (measured figures
 * in docs/performance.md).
 */
const SHIFTED_PLANES_MIN_MACS = 2 ** 25;

export function pickBackpropFilterMethod(
  info: ConvInfo,
  simdAvailable: boolean,
): BackpropFilterMethod {
  if (simdAvailable && info.outChannels % 4 === 0) return 'simd';
  return info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    convMacs(info) >= SHIFTED_PLANES_MIN_MACS
    ? 'shiftedPlanes'
    : 'batchAsChannels';
}

/** The SIMD kernel, on a padded copy of x; one part of the batch per thread. */
function bySimdKernel(
  backend: BackendWasm,
  kernels: SimdKernels,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const padded = padForConv(backend, kernels, x, info);
  // Each part sums over its own images into its own buffer; the first part's buffer is dW, and
  // the others are added to it.
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const filterShape = [filterHeight, filterWidth, inChannels, outChannels];
  const parts = convParts(backend, info);
  const outputs = parts.map(() => backend.makeOutput(filterShape, 'float32'));
  const bytes = imageBytes(info, padded);
  const xAt = heapOffset(backend, padded.info);
  const dyAt = heapOffset(backend, dy);
  runParts(
    backend,
    parts.map(({ first, count }, i) => ({
      name: 'conv2dFilterGrad',
      args: [
        xAt + first * bytes.input,
        dyAt + first * bytes.output,
        heapOffset(backend, outputs[i] as TensorInfo),
        ...convGeometry(info, padded, count),
      ],
    })),
  );
  const [dW, ...partials] = outputs as [TensorInfo, ...TensorInfo[]];
  for (const partial of partials) {
    kernels.addInto(heapOffset(backend, dW), heapOffset(backend, partial), dWSize(info));
    free(backend, partial);
  }
  padded.release();
  return dW;
}

function dWSize(info: ConvInfo): number {
  return info.filterHeight * info.filterWidth * info.inChannels * info.outChannels;
}

/** Reused between calls: the padded planar copy of x is rebuilt every call, only its storage kept. */
let planarScratch = new Float32Array(0);

/**
 * For stride 1, dW[kh,kw] = Σ_q xp[q + kh·Wp + kw] ⊗ dyp[q], with q running over the positions
 * of a padded grid Hp × Wp (Hp = outHeight + filterHeight − 1): xp is x with its padding, and
 * dyp is dy with filterHeight − 1 zero rows and filterWidth − 1 zero columns added. With xp laid
 * out planar ([ci, n, Hp, Wp]), the operand each tap needs, [ci, q] shifted by kh·Wp + kw, is
 * one contiguous run of memory: patchesᵀ is 9 block copies, and dW (as [kh·kw·ci, co]) is one
 * GEMM patchesᵀ · dyp, which comes out in dW's own layout. Every product the sum needs is in
 * it; the extra ones multiply a zero of dyp (so only an x already holding ±Inf or NaN, which
 * has made the loss NaN anyway, could turn them into anything but zero).
 */
function byShiftedPlanes(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const { batchSize, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth } = info;
  const paddedHeight = outHeight + filterHeight - 1;
  const paddedWidth = outWidth + filterWidth - 1;
  const positions = batchSize * paddedHeight * paddedWidth;
  const maxShift = (filterHeight - 1) * paddedWidth + filterWidth - 1;
  const planarLength = inChannels * positions + maxShift;
  if (planarScratch.length < planarLength) planarScratch = new Float32Array(planarLength);
  const planar = planarScratch;

  const dyPadded = callWasmKernel(
    backend,
    'PadV2',
    { x: dy },
    {
      paddings: nhwcPadding({ top: 0, bottom: filterHeight - 1, left: 0, right: filterWidth - 1 }),
      constantValue: 0,
    },
  );
  const taps = filterHeight * filterWidth;
  const patchesInfo = backend.makeOutput([1, taps * inChannels, positions], 'float32');
  // Views after the last allocation: growing the heap would detach earlier ones.
  const patches = backend.typedArrayFromHeap(patchesInfo) as Float32Array;
  const source = backend.typedArrayFromHeap(x) as Float32Array;
  fillPaddedPlanar(source, planar, info, paddedHeight, paddedWidth);
  planar.fill(0, inChannels * positions, planarLength);
  const block = inChannels * positions;
  for (let kh = 0; kh < filterHeight; kh += 1) {
    for (let kw = 0; kw < filterWidth; kw += 1) {
      const shift = kh * paddedWidth + kw;
      patches.set(planar.subarray(shift, shift + block), (kh * filterWidth + kw) * block);
    }
  }
  const grads = callWasmKernel(
    backend,
    'BatchMatMul',
    {
      a: patchesInfo,
      b: { dataId: dyPadded.dataId, shape: [1, positions, outChannels], dtype: 'float32' },
    },
    { transposeA: false, transposeB: false },
  );
  free(backend, patchesInfo, dyPadded);
  // [1, kh·kw·ci, co] is dW's memory already; hand the buffer over under dW's shape.
  return {
    dataId: grads.dataId,
    shape: [filterHeight, filterWidth, inChannels, outChannels],
    dtype: 'float32',
  };
}

/** planar[ci, n, r, c] = x[n, r − top, c − left, ci], zero outside x. */
function fillPaddedPlanar(
  x: Float32Array,
  planar: Float32Array,
  info: ConvInfo,
  paddedHeight: number,
  paddedWidth: number,
): void {
  const { batchSize, inHeight, inWidth, inChannels } = info;
  const { top, left } = info.padInfo;
  // Columns of the padded row that hold x: c − left in [0, inWidth).
  const colFrom = Math.min(paddedWidth, left);
  const colTo = Math.max(colFrom, Math.min(paddedWidth, inWidth + left));
  const rowStride = inWidth * inChannels;
  let at = 0;
  for (let ci = 0; ci < inChannels; ci += 1) {
    for (let n = 0; n < batchSize; n += 1) {
      const image = n * inHeight * rowStride + ci;
      for (let r = 0; r < paddedHeight; r += 1) {
        const ih = r - top;
        const end = at + paddedWidth;
        if (ih < 0 || ih >= inHeight) {
          planar.fill(0, at, end);
          at = end;
          continue;
        }
        const stop = at + colTo;
        for (const start = at + colFrom; at < start; at += 1) planar[at] = 0;
        let from = image + ih * rowStride + (colFrom - left) * inChannels;
        for (; at < stop; at += 1, from += inChannels) planar[at] = x[from] as number;
        for (; at < end; at += 1) planar[at] = 0;
      }
    }
  }
}

/**
 * The same sum is a convolution once the batch plays the part of the channels: convolve
 * x' = x transposed to [ci,h,w,n] with dy' = dy transposed to [oh,ow,n,co] as the filter, where
 * the forward stride becomes the dilation.
 */
function byBatchAsChannels(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth } = info;
  const { strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  // Pad the far side just enough for a filterHeight × filterWidth result; rows the forward pass
  // never reached are cropped below instead.
  const bottom = Math.max(0, filterHeight + (outHeight - 1) * strideHeight - inHeight - top);
  const right = Math.max(0, filterWidth + (outWidth - 1) * strideWidth - inWidth - left);

  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const grads = callWasmKernel(backend, 'Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1],
    dilations: [strideHeight, strideWidth],
    pad: nhwcPadding({ top, bottom, left, right }),
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  } as unknown as Record<string, never>);
  free(backend, xT, dyT);
  const [inChannels, gradHeight, gradWidth, outChannels] = shape4(grads, 'filter gradient');
  let cropped = grads;
  if (gradHeight !== filterHeight || gradWidth !== filterWidth) {
    cropped = callWasmKernel(
      backend,
      'Slice',
      { x: grads },
      { begin: [0, 0, 0, 0], size: [inChannels, filterHeight, filterWidth, outChannels] },
    );
    free(backend, grads);
  }
  const dW = transpose(backend, cropped, [1, 2, 0, 3]);
  free(backend, cropped);
  return dW;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
