/**
 * Training kernels for TensorFlow.js's wasm backend: gradient kernels it lacks or gets wrong,
 * SIMD kernels (AssemblyScript) sharing its heap, fused Adam and BatchNorm steps, and its
 * threaded build started in Node. Register the kernels after importing
 * @tensorflow/tfjs-backend-wasm; the rest of tfjs's API then trains unchanged.
 */
export { ADAM_UPDATE, type AdamUpdateAttrs, hasFusedAdam } from './adam-update.js';
export {
  BATCH_NORM_TRAIN,
  type BatchNormTrainAttrs,
  hasFusedBatchNorm,
} from './batch-norm-train.js';
export {
  CONV2D_BIAS_RELU,
  type Conv2dBiasReluAttrs,
  hasFusedConv2dBiasRelu,
} from './conv2d-bias-relu.js';
export { WasmKernelError } from './errors.js';
export { hasPadding, type Nhwc4Padding, nhwcPadding, type Pads2d } from './padding.js';
export { registerWasmKernels } from './register.js';
export {
  hasFusedSoftmaxCrossEntropy,
  SOFTMAX_CROSS_ENTROPY,
} from './softmax-cross-entropy.js';
export { MAX_WASM_THREADS, registerThreadedWasmBackend } from './wasm-threads.js';
