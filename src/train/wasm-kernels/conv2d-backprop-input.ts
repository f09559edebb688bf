import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nhwcPadding, type Pads2d } from '../layers/common.js';
import { callWasmKernel, free, requireChannelsLast, shape4, transpose } from './backend-calls.js';

type KernelFunc = KernelConfig['kernelFunc'];

/**
 * For stride 1, dx is the convolution of dy with the filter flipped in space and with its
 * channel axes swapped, padded by (kernel − 1 − pad) on each side. That runs on XNNPACK's conv,
 * several times faster than tfjs-wasm's own Conv2DBackpropInput (a scalar loop, the slowest op
 * of a training step). Strided convolutions keep the built-in kernel.
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
