export { type ActivationKind, TorchActivation } from './activation.js';
export { TorchBatchNorm } from './batch-norm.js';
export { TorchConv2d } from './conv2d.js';
export { SeededDropout } from './dropout.js';
export { TorchLinear } from './linear.js';
export { AdaptiveAvgPool2d, TorchPool2d } from './pooling.js';
