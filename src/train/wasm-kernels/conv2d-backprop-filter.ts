import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  callWasmKernel,
  explicitPadding,
  free,
  requireChannelsLast,
  shape4,
  transpose,
} from './backend-calls.js';

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[n,oh,ow,co]
 *
 * is itself a convolution once the batch plays the part of the channels: convolve
 * x' = x transposed to [ci,h,w,n] with dy' = dy transposed to [oh,ow,n,co] as the filter, where
 * the forward stride becomes the dilation. One XNNPACK conv replaces a loop of slices and
 * matMuls, and runs at the forward pass's speed.
 */
function conv2dBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  attrs: Conv2DBackpropFilterAttrs;
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  requireChannelsLast(dataFormat, 'Conv2DBackpropFilter');
  const xShape = shape4(x, 'Conv2DBackpropFilter input x');
  const info = backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
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
    pad: explicitPadding(top, bottom, left, right),
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
