import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';
import { hasSimdKernel, heapOffset, requireSimdKernels } from './simd-module.js';

/** A kernel of this project's: ReLU's input gradient from dy and ReLU's input x. */
export const RELU_GRAD = 'AutograderReluGrad';

function reluGrad(args: {
  inputs: { dy: TensorInfo; x: TensorInfo };
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, backend } = args;
  const kernels = requireSimdKernels(backend, RELU_GRAD);
  const { dy, x } = inputs;
  const size = tf.util.sizeFromShape(x.shape);
  if (dy.dtype !== 'float32' || x.dtype !== 'float32' || tf.util.sizeFromShape(dy.shape) !== size) {
    throw new WasmKernelError(`${RELU_GRAD} needs float32 dy and x of one size`);
  }
  const dx = backend.makeOutput(x.shape, 'float32');
  if (size > 0) {
    kernels.reluGrad(
      heapOffset(backend, dy),
      heapOffset(backend, x),
      heapOffset(backend, dx),
      size,
    );
  }
  return dx;
}

export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as KernelConfig['kernelFunc'],
};

/**
 * tfjs's gradient for Relu, dy · step(x), as two kernels (Step, then Multiply); on wasm with the
 * SIMD kernels it is one pass with the same values. Other backends keep tfjs's formula. The
 * gradient registry is global, so the choice is made when the gradient runs.
 */
export const reluGradientConfig: GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as tf.Tensor[];
    if (x === undefined) throw new WasmKernelError('the Relu gradient needs the saved input');
    const dyTensor = dy as tf.Tensor;
    return {
      x: () =>
        hasSimdKernel(RELU_GRAD) && x.dtype === 'float32'
          ? (tf.engine().runKernel(RELU_GRAD, { dy: dyTensor, x }) as tf.Tensor)
          : tf.mul(dyTensor, tf.cast(tf.step(x), 'float32')),
    };
  },
};
