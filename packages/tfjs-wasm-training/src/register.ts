import {
  getKernel,
  type KernelConfig,
  registerGradient,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs';
import { adamUpdateConfig } from './adam-update.js';
import {
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  batchNormTrainGradientConfig,
} from './batch-norm-train.js';
import { makeChannelBroadcastConfig } from './channel-broadcast.js';
import { makeConv2dConfig } from './conv2d.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { makeConv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import {
  biasReluGradConfig,
  conv2dBiasReluConfig,
  conv2dBiasReluGradientConfig,
} from './conv2d-bias-relu.js';
import {
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
} from './depthwise-backprop.js';
import { WasmKernelError } from './errors.js';
import { makeSharingCastConfig, makeSharingIdentityConfig } from './identity-cast.js';
import { makeUntransposedMatMulConfig } from './matmul-transposes.js';
import { makeMaxPoolConfig, maxPoolGradConfig } from './max-pool-grad.js';
import { reluGradConfig, reluGradientConfig } from './relu-grad.js';
import {
  softmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig,
  softmaxCrossEntropyGradientConfig,
} from './softmax-cross-entropy.js';
import { makeConcatConfig, makeSplitVConfig } from './split-concat.js';
import { makeSumConfig } from './sum-leading-axes.js';

const registered = new Set<KernelConfig['kernelFunc']>();

/**
 * Registers the gradient fill-ins as wasm kernels, replacing missing or faulty built-ins, so
 * tfjs's own gradient functions train conv nets on wasm unchanged, and Relu's gradient with one
 * that gives the same values through a fused kernel on wasm. Call it after
 * @tensorflow/tfjs-backend-wasm is imported (its import registers the built-ins, which would
 * otherwise overwrite these) and before training. Calling it again does nothing.
 */
export function registerWasmKernels(): void {
  if (getKernel('Conv2D', 'wasm') === undefined) {
    throw new WasmKernelError(
      'import @tensorflow/tfjs-backend-wasm before registering the wasm gradient kernels',
    );
  }
  const current = getKernel('Conv2DBackpropInput', 'wasm');
  if (current !== undefined && registered.has(current.kernelFunc)) return;
  const configs = [
    makeConv2dConfig(getKernel('Conv2D', 'wasm')),
    conv2dBackpropFilterConfig,
    makeConv2dBackpropInputConfig(current),
    depthwiseBackpropFilterConfig,
    depthwiseBackpropInputConfig,
    maxPoolGradConfig,
    makeMaxPoolConfig(getKernel('MaxPool', 'wasm')),
    makeUntransposedMatMulConfig('BatchMatMul', getKernel('BatchMatMul', 'wasm')),
    makeUntransposedMatMulConfig('_FusedMatMul', getKernel('_FusedMatMul', 'wasm')),
    makeSumConfig(getKernel('Sum', 'wasm')),
    makeSharingIdentityConfig(getKernel('Identity', 'wasm')),
    makeSharingCastConfig(getKernel('Cast', 'wasm')),
    makeChannelBroadcastConfig('Add', getKernel('Add', 'wasm')),
    makeChannelBroadcastConfig('Sub', getKernel('Sub', 'wasm')),
    makeChannelBroadcastConfig('Multiply', getKernel('Multiply', 'wasm')),
    adamUpdateConfig,
    reluGradConfig,
    batchNormTrainConfig,
    batchNormTrainGradConfig,
    makeSplitVConfig(getKernel('SplitV', 'wasm')),
    makeConcatConfig(getKernel('Concat', 'wasm')),
    softmaxCrossEntropyConfig,
    softmaxCrossEntropyGradConfig,
    conv2dBiasReluConfig,
    biasReluGradConfig,
  ];
  for (const config of configs) {
    // Replacing a registered kernel must go through unregister, or tfjs warns on every start.
    if (getKernel(config.kernelName, 'wasm') !== undefined) {
      unregisterKernel(config.kernelName, 'wasm');
    }
    registerKernel(config);
    registered.add(config.kernelFunc);
  }
  // Same values as tfjs's own Relu gradient on every backend; one kernel instead of two on wasm.
  registerGradient(reluGradientConfig);
  registerGradient(batchNormTrainGradientConfig);
  registerGradient(softmaxCrossEntropyGradientConfig);
  registerGradient(conv2dBiasReluGradientConfig);
}
