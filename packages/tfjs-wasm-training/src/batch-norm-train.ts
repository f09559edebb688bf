import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free } from './backend-calls.js';
import { WasmKernelError } from './errors.js';
import { hasSimdKernel, heapOffset, requireSimdKernels } from './simd-module.js';

/**
 * Kernels of this project's: BatchNorm in training mode over the last axis, forward (y and the
 * batch's mean and biased variance) and its gradient (dx, dgamma, dbeta).
 */
export const BATCH_NORM_TRAIN = 'AutograderBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'AutograderBatchNormTrainGrad';

export interface BatchNormTrainAttrs {
  epsilon: number;
}

/** Rows × channels of x, checked against the per-channel inputs. */
function layout(x: TensorInfo, perChannel: TensorInfo[], kernelName: string): [number, number] {
  const channels = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || channels === undefined || channels < 1) {
    throw new WasmKernelError(`${kernelName} needs a float32 x with channels last`);
  }
  for (const info of perChannel) {
    if (info.dtype !== 'float32' || tf.util.sizeFromShape(info.shape) !== channels) {
      throw new WasmKernelError(`${kernelName} needs ${channels} float32 values per channel input`);
    }
  }
  return [tf.util.sizeFromShape(x.shape) / channels, channels];
}

function batchNormTrain(args: {
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  attrs: BatchNormTrainAttrs;
  backend: BackendWasm;
}): TensorInfo[] {
  const { inputs, attrs, backend } = args;
  const kernels = requireSimdKernels(backend, BATCH_NORM_TRAIN);
  const { x, gamma, beta } = inputs;
  const [rows, channels] = layout(x, [gamma, beta], BATCH_NORM_TRAIN);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([channels], 'float32');
  const variance = backend.makeOutput([channels], 'float32');
  if (rows === 0) {
    // The statistics of no values, as tfjs's moments gives them: 0 / 0.
    (backend.typedArrayFromHeap(mean) as Float32Array).fill(Number.NaN);
    (backend.typedArrayFromHeap(variance) as Float32Array).fill(Number.NaN);
    return [y, mean, variance];
  }
  const scratch = backend.makeOutput([3 * channels], 'float32');
  const at = (info: TensorInfo) => heapOffset(backend, info);
  kernels.batchNormForward(
    at(x),
    at(gamma),
    at(beta),
    at(y),
    at(mean),
    at(variance),
    rows,
    channels,
    attrs.epsilon,
    at(scratch),
  );
  free(backend, scratch);
  return [y, mean, variance];
}

function batchNormTrainGrad(args: {
  inputs: {
    dy: TensorInfo;
    x: TensorInfo;
    gamma: TensorInfo;
    mean: TensorInfo;
    variance: TensorInfo;
  };
  attrs: BatchNormTrainAttrs;
  backend: BackendWasm;
}): TensorInfo[] {
  const { inputs, attrs, backend } = args;
  const kernels = requireSimdKernels(backend, BATCH_NORM_TRAIN_GRAD);
  const { dy, x, gamma, mean, variance } = inputs;
  const [rows, channels] = layout(x, [gamma, mean, variance], BATCH_NORM_TRAIN_GRAD);
  if (dy.dtype !== 'float32' || tf.util.sizeFromShape(dy.shape) !== rows * channels) {
    throw new WasmKernelError(`${BATCH_NORM_TRAIN_GRAD} needs a float32 dy the size of x`);
  }
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgamma = backend.makeOutput([channels], 'float32');
  const dbeta = backend.makeOutput([channels], 'float32');
  if (rows === 0) {
    (backend.typedArrayFromHeap(dgamma) as Float32Array).fill(0);
    (backend.typedArrayFromHeap(dbeta) as Float32Array).fill(0);
    return [dx, dgamma, dbeta];
  }
  const scratch = backend.makeOutput([9 * channels], 'float32');
  const at = (info: TensorInfo) => heapOffset(backend, info);
  kernels.batchNormBackward(
    at(dy),
    at(x),
    at(gamma),
    at(mean),
    at(variance),
    at(dx),
    at(dgamma),
    at(dbeta),
    rows,
    channels,
    attrs.epsilon,
    at(scratch),
  );
  free(backend, scratch);
  return [dx, dgamma, dbeta];
}

export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: batchNormTrain as unknown as KernelConfig['kernelFunc'],
};

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: batchNormTrainGrad as unknown as KernelConfig['kernelFunc'],
};

/**
 * The gradient of the fused forward kernel: one backward kernel gives all three input
 * gradients. It runs when tfjs calls gradFunc (inside the backward pass's own tidy, which frees
 * whatever is not returned), not in the per-input closures, each of which tfjs runs in a tidy of
 * its own that would free the other two. The mean and variance outputs feed only the running
 * statistics, which never reach the loss, so their gradients are ignored.
 */
export const batchNormTrainGradientConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, mean, variance] = saved as tf.Tensor[];
    const dy = Array.isArray(dys) ? dys[0] : dys;
    if (x === undefined || gamma === undefined || mean === undefined || variance === undefined) {
      throw new WasmKernelError(`the ${BATCH_NORM_TRAIN} gradient needs its saved tensors`);
    }
    if (dy === undefined) throw new WasmKernelError(`the ${BATCH_NORM_TRAIN} gradient needs dy`);
    const [dx, dgamma, dbeta] = tf
      .engine()
      .runKernel(
        BATCH_NORM_TRAIN_GRAD,
        { dy, x, gamma, mean, variance },
        attrs as unknown as tf.NamedAttrMap,
      ) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/** Whether the current backend runs the fused BatchNorm kernels (wasm, with the SIMD kernels). */
export function hasFusedBatchNorm(): boolean {
  return hasSimdKernel(BATCH_NORM_TRAIN);
}
