import type { Conv2DAttrs, GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, shape4 } from './backend-calls.js';
import { WasmKernelError } from './errors.js';
import {
  hasSimdKernel,
  heapOffset,
  requireSimdKernels,
  runParts,
  simdThreadCount,
  splitBatch,
} from './simd-module.js';

/**
 * Kernels of this project's: a Conv2D (NHWC, no dilation) with its bias and, optionally, a ReLU
 * after it, y = relu(conv2d(x, filter) + bias); and the gradient of the bias and the ReLU,
 * which the conv's own gradient kernels then take. What conv2d, add and relu compute as three
 * kernels each way (conv, broadcast add, relu; relu gradient, bias sum, conv gradients), with
 * two fewer passes over the activations and two fewer kernel calls each way. Unlike
 * tf.fused.conv2d, whose gradient always computes the input's, the input gradient is computed
 * only when tfjs asks for it (never for the images).
 */
export const CONV2D_BIAS_RELU = 'AutograderConv2dBiasRelu';
export const BIAS_RELU_GRAD = 'AutograderBiasReluGrad';

/** Values from which the bias and ReLU pass is split over the threads. */
const SPLIT_MIN_VALUES = 2 ** 19;

/** Conv2D's attributes and whether a ReLU follows the bias. */
export interface Conv2dBiasReluAttrs {
  strides: [number, number] | number;
  pad: Conv2DAttrs['pad'];
  relu: boolean;
}

function checkBias(bias: TensorInfo, channels: number, kernelName: string): void {
  if (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== channels) {
    throw new WasmKernelError(`${kernelName} needs a float32 bias of ${channels} values`);
  }
}

function conv2dBiasRelu(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
  attrs: Conv2dBiasReluAttrs;
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  requireSimdKernels(backend, CONV2D_BIAS_RELU);
  const { x, filter, bias } = inputs;
  const channels = shape4(filter, `${CONV2D_BIAS_RELU} filter`)[3];
  checkBias(bias, channels, CONV2D_BIAS_RELU);
  // The project's Conv2D: the SIMD kernel for narrow layers, XNNPACK's for the others.
  const y = callWasmKernel(backend, 'Conv2D', { x, filter }, {
    strides: attrs.strides,
    pad: attrs.pad,
    dilations: [1, 1],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  } as unknown as Record<string, never>);
  const size = tf.util.sizeFromShape(y.shape);
  const rows = size / channels;
  if (rows === 0) return y;
  // In place: y is this kernel's own fresh output. Large layers split over the threads, as the
  // built-in Add and Relu did; below that a helper's wake-up costs more than it saves.
  const [yAt, biasAt] = [heapOffset(backend, y), heapOffset(backend, bias)];
  const parts = size >= SPLIT_MIN_VALUES ? simdThreadCount(backend) : 1;
  runParts(
    backend,
    splitBatch(rows, parts).map(({ first, count }) => ({
      name: 'biasRelu',
      args: [yAt + first * channels * 4, biasAt, count, channels, +attrs.relu],
    })),
  );
  return y;
}

/** [dx, dbias] from dy and the forward output y: the ReLU's gradient (if any) and the bias's. */
function biasReluGrad(args: {
  inputs: { dy: TensorInfo; y: TensorInfo };
  attrs: { relu: boolean };
  backend: BackendWasm;
}): TensorInfo[] {
  const { inputs, attrs, backend } = args;
  const kernels = requireSimdKernels(backend, BIAS_RELU_GRAD);
  const { dy, y } = inputs;
  const channels = y.shape[y.shape.length - 1];
  const size = tf.util.sizeFromShape(y.shape);
  if (
    channels === undefined ||
    channels < 1 ||
    dy.dtype !== 'float32' ||
    y.dtype !== 'float32' ||
    tf.util.sizeFromShape(dy.shape) !== size
  ) {
    throw new WasmKernelError(`${BIAS_RELU_GRAD} needs float32 dy and y of one shape`);
  }
  const dx = backend.makeOutput(y.shape, 'float32');
  const dbias = backend.makeOutput([channels], 'float32');
  const at = (info: TensorInfo) => heapOffset(backend, info);
  if (size === 0) {
    (backend.typedArrayFromHeap(dbias) as Float32Array).fill(0);
    return [dx, dbias];
  }
  kernels.biasReluGrad(at(dy), at(y), at(dx), at(dbias), size / channels, channels, +attrs.relu);
  return [dx, dbias];
}

export const conv2dBiasReluConfig: KernelConfig = {
  kernelName: CONV2D_BIAS_RELU,
  backendName: 'wasm',
  kernelFunc: conv2dBiasRelu as unknown as KernelConfig['kernelFunc'],
};

export const biasReluGradConfig: KernelConfig = {
  kernelName: BIAS_RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: biasReluGrad as unknown as KernelConfig['kernelFunc'],
};

/**
 * The ReLU's and the bias's gradients run when tfjs calls gradFunc (in the backward pass's own
 * tidy, which frees them with the rest of the pass): both the input's and the filter's
 * closures use the same dx. Each closure then runs the conv gradient kernel tfjs's own Conv2D
 * gradient would.
 */
export const conv2dBiasReluGradientConfig: GradConfig = {
  kernelName: CONV2D_BIAS_RELU,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dys, saved, attrs) => {
    const [x, filter, y] = saved as tf.Tensor[];
    const dy = Array.isArray(dys) ? dys[0] : dys;
    if (x === undefined || filter === undefined || y === undefined || dy === undefined) {
      throw new WasmKernelError(`the ${CONV2D_BIAS_RELU} gradient needs its saved tensors`);
    }
    const { strides, pad, relu } = attrs as unknown as Conv2dBiasReluAttrs;
    const [dpre, dbias] = tf.engine().runKernel(BIAS_RELU_GRAD, { dy, y }, { relu }) as [
      tf.Tensor,
      tf.Tensor,
    ];
    const convAttrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    return {
      x: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: dpre, filter }, {
          ...convAttrs,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dpre }, {
          ...convAttrs,
          filterShape: filter.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => dbias,
    };
  },
};

/** Whether the current backend runs the fused conv, bias and ReLU (wasm, with the SIMD kernels). */
export function hasFusedConv2dBiasRelu(): boolean {
  return hasSimdKernel(CONV2D_BIAS_RELU);
}
