import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';

/**
 * Kernels of this project's: softmax cross-entropy of logits [N, C] against integer labels [N],
 * averaged over the batch, with the count of rows whose first largest logit is the label
 * (argMax's tie rule); and its gradient. What tf.losses.softmaxCrossEntropy(oneHot(labels),
 * logits) and sum(equal(argMax(logits, 1), labels)) give, as two kernels instead of about
 * forty: with the small logits of a classifier, engine overhead and thread-pool wake-ups of
 * the separate ops cost far more than the arithmetic. A label outside [0, C) is a row of zeros,
 * as oneHot makes it: no loss, and the softmax alone as its gradient.
 */
export const SOFTMAX_CROSS_ENTROPY = 'AutograderSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'AutograderSoftmaxCrossEntropyGrad';

/** Rows and classes of logits, checked against the labels. */
function layout(logits: TensorInfo, labels: TensorInfo, kernelName: string): [number, number] {
  const [rows, classes] = logits.shape;
  if (
    logits.dtype !== 'float32' ||
    logits.shape.length !== 2 ||
    rows === undefined ||
    classes === undefined
  ) {
    throw new WasmKernelError(`${kernelName} needs float32 logits [batch, classes]`);
  }
  if (labels.dtype !== 'int32' || labels.shape.length !== 1 || labels.shape[0] !== rows) {
    throw new WasmKernelError(`${kernelName} needs int32 labels, one per row of the logits`);
  }
  return [rows, classes];
}

/** Returns [mean loss, correct count], both float32 scalars. */
function softmaxCrossEntropy(args: {
  inputs: { logits: TensorInfo; labels: TensorInfo };
  backend: BackendWasm;
}): TensorInfo[] {
  const { inputs, backend } = args;
  const [rows, classes] = layout(inputs.logits, inputs.labels, SOFTMAX_CROSS_ENTROPY);
  const lossInfo = backend.makeOutput([], 'float32');
  const correctInfo = backend.makeOutput([], 'float32');
  // Views after the allocations: growing the heap would detach earlier ones.
  const logits = backend.typedArrayFromHeap(inputs.logits) as Float32Array;
  const labels = backend.typedArrayFromHeap(inputs.labels) as Int32Array;
  let total = 0;
  let correct = 0;
  for (let row = 0, at = 0; row < rows; row += 1, at += classes) {
    let best = 0;
    let max = logits[at] as number;
    for (let c = 1; c < classes; c += 1) {
      const value = logits[at + c] as number;
      if (value > max) {
        max = value;
        best = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c += 1) sum += Math.exp((logits[at + c] as number) - max);
    const label = labels[row] as number;
    if (label < 0 || label >= classes) continue;
    // −log softmax at the label; a NaN or infinite logit makes it NaN, as tfjs's ops do.
    total += max + Math.log(sum) - (logits[at + label] as number);
    if (best === label) correct += 1;
  }
  (backend.typedArrayFromHeap(lossInfo) as Float32Array)[0] = rows > 0 ? total / rows : 0;
  (backend.typedArrayFromHeap(correctInfo) as Float32Array)[0] = correct;
  return [lossInfo, correctInfo];
}

/** dlogits = dy · (softmax(logits) − oneHot(labels)) / N. */
function softmaxCrossEntropyGrad(args: {
  inputs: { dy: TensorInfo; logits: TensorInfo; labels: TensorInfo };
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, backend } = args;
  const [rows, classes] = layout(inputs.logits, inputs.labels, SOFTMAX_CROSS_ENTROPY_GRAD);
  if (inputs.dy.dtype !== 'float32' || tf.util.sizeFromShape(inputs.dy.shape) !== 1) {
    throw new WasmKernelError(`${SOFTMAX_CROSS_ENTROPY_GRAD} needs a float32 scalar dy`);
  }
  const dxInfo = backend.makeOutput(inputs.logits.shape, 'float32');
  const dx = backend.typedArrayFromHeap(dxInfo) as Float32Array;
  const logits = backend.typedArrayFromHeap(inputs.logits) as Float32Array;
  const labels = backend.typedArrayFromHeap(inputs.labels) as Int32Array;
  const scale = ((backend.typedArrayFromHeap(inputs.dy) as Float32Array)[0] as number) / rows;
  for (let row = 0, at = 0; row < rows; row += 1, at += classes) {
    let max = logits[at] as number;
    for (let c = 1; c < classes; c += 1) max = Math.max(max, logits[at + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c += 1) {
      const e = Math.exp((logits[at + c] as number) - max);
      dx[at + c] = e;
      sum += e;
    }
    const factor = scale / sum;
    for (let c = 0; c < classes; c += 1) dx[at + c] = (dx[at + c] as number) * factor;
    const label = labels[row] as number;
    if (label >= 0 && label < classes) dx[at + label] = (dx[at + label] as number) - scale;
  }
  return dxInfo;
}

export const softmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  backendName: 'wasm',
  kernelFunc: softmaxCrossEntropy as unknown as KernelConfig['kernelFunc'],
};

export const softmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY_GRAD,
  backendName: 'wasm',
  kernelFunc: softmaxCrossEntropyGrad as unknown as KernelConfig['kernelFunc'],
};

/**
 * The loss's gradient for the logits; the labels get none (integers), and the correct count,
 * which never reaches a loss, passes none back.
 */
export const softmaxCrossEntropyGradientConfig: GradConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dys, saved) => {
    const [logits, labels] = saved as tf.Tensor[];
    const dy = Array.isArray(dys) ? dys[0] : dys;
    if (logits === undefined || labels === undefined || dy === undefined) {
      throw new WasmKernelError(`the ${SOFTMAX_CROSS_ENTROPY} gradient needs its saved tensors`);
    }
    return {
      logits: () =>
        tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { dy, logits, labels }) as tf.Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
};

/** Whether the current backend runs the fused softmax cross-entropy (wasm). */
export function hasFusedSoftmaxCrossEntropy(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(SOFTMAX_CROSS_ENTROPY, 'wasm') !== undefined;
}
