import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';
import { hasSimdKernel, heapOffset, requireSimdKernels } from './simd-module.js';

/** A kernel of this project's, not tfjs's: one fused Adam/AdamW step for one variable. */
export const ADAM_UPDATE = 'AutograderAdamUpdate';

/**
 * The step's scalars, as the JavaScript numbers the unfused tensor ops would take (each becomes
 * a float32 the same way), and the kind of weight decay with its factor: L2's weight_decay, or
 * decoupled decay's 1 − lr·weight_decay.
 */
export interface AdamUpdateAttrs {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  sqrtCorrection2: number;
  epsilon: number;
  stepSize: number;
  decay: { kind: 'none' } | { kind: 'l2' | 'decoupled'; factor: number };
}

const DECAY_KINDS = { none: 0, l2: 1, decoupled: 2 } as const;

/** Returns the new [param, m, v]: inputs are never written, as tfjs expects of a kernel. */
function adamUpdate(args: {
  inputs: { param: TensorInfo; grad: TensorInfo; m: TensorInfo; v: TensorInfo };
  attrs: AdamUpdateAttrs;
  backend: BackendWasm;
}): TensorInfo[] {
  const { inputs, attrs, backend } = args;
  const kernels = requireSimdKernels(backend, ADAM_UPDATE);
  const { param, grad, m, v } = inputs;
  const size = tf.util.sizeFromShape(param.shape);
  for (const info of [grad, m, v]) {
    if (info.dtype !== 'float32' || tf.util.sizeFromShape(info.shape) !== size) {
      throw new WasmKernelError(`${ADAM_UPDATE} needs float32 inputs of one size`);
    }
  }
  const outputs = [param, m, v].map((info) => backend.makeOutput(info.shape, 'float32'));
  const [paramOut, mOut, vOut] = outputs as [TensorInfo, TensorInfo, TensorInfo];
  if (size === 0) return outputs;
  const at = (info: TensorInfo) => heapOffset(backend, info);
  const { decay } = attrs;
  kernels.adamStep(
    at(param),
    at(grad),
    at(m),
    at(v),
    at(paramOut),
    at(mOut),
    at(vOut),
    size,
    attrs.beta1,
    attrs.oneMinusBeta1,
    attrs.beta2,
    attrs.oneMinusBeta2,
    attrs.sqrtCorrection2,
    attrs.epsilon,
    attrs.stepSize,
    DECAY_KINDS[decay.kind],
    decay.kind === 'none' ? 0 : decay.factor,
  );
  return outputs;
}

export const adamUpdateConfig: KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: 'wasm',
  kernelFunc: adamUpdate as unknown as KernelConfig['kernelFunc'],
};

/** Whether the current backend runs the fused Adam step (wasm, with the SIMD kernels). */
export function hasFusedAdam(): boolean {
  return hasSimdKernel(ADAM_UPDATE);
}
