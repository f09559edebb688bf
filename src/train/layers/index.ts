export { type ActivationKind, TorchActivation } from './activation.js';
export { TORCH_BN_EPSILON, TORCH_BN_MOMENTUM, TorchBatchNorm } from './batch-norm.js';
export { dilateKernel, TorchConv2d } from './conv2d.js';
export { SeededDropout } from './dropout.js';
export { TorchLinear } from './linear.js';
export { AdaptiveAvgPool2d, adaptiveMatrix, TorchPool2d } from './pooling.js';
