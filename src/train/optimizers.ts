import {
  ADAM_UPDATE,
  type AdamUpdateAttrs,
  hasFusedAdam,
} from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from '../spec/types.js';
import { TrainingConfigError } from './errors.js';

/** PyTorch's defaults for Adam and AdamW. */
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

export interface OptimizerSettings {
  optimizer: OptimizerName;
  lr: number;
  /** SGD only; 0 is plain SGD. */
  momentum: number;
  /** L2 added to the gradient for adam and sgd; decoupled decay for adamw (PyTorch's semantics). */
  weight_decay: number;
}

/**
 * Updates variables from their gradients, with PyTorch's update rules.
 *
 * Why not tfjs's own optimizers: tf.train.adam has the same bias-corrected rule as torch.optim.Adam
 * (lr·m̂/(√v̂+eps)), but its eps defaults to 1e-7 rather than 1e-8, and no tfjs optimizer has weight
 * decay, L2 or decoupled (AdamW). One small implementation covers the three the rubric allows.
 */
export interface Optimizer {
  /** One update; `grads[i]` is the gradient of `variables[i]`. Call inside tf.tidy. */
  step(variables: readonly tf.Variable[], grads: readonly tf.Tensor[]): void;
  /** Frees the optimizer's state (moments, momentum buffers). */
  dispose(): void;
}

export function createOptimizer(settings: OptimizerSettings): Optimizer {
  const { optimizer, lr, momentum, weight_decay: weightDecay } = settings;
  if (!(lr > 0 && Number.isFinite(lr))) {
    throw new TrainingConfigError(`lr must be a positive number, got ${lr}`);
  }
  if (!(weightDecay >= 0) || !(momentum >= 0 && momentum < 1)) {
    throw new TrainingConfigError(
      `weight_decay must be ≥ 0 and momentum in [0, 1); got ${weightDecay} and ${momentum}`,
    );
  }
  switch (optimizer) {
    case 'adam':
      return new Adam(lr, weightDecay, false);
    case 'adamw':
      return new Adam(lr, weightDecay, true);
    case 'sgd':
      return new Sgd(lr, momentum, weightDecay);
    default:
      throw new TrainingConfigError(`unknown optimizer ${JSON.stringify(optimizer)}`);
  }
}

/** One state tensor per variable, created at the first step (zeros, like PyTorch's lazy state). */
class SlotMap {
  private readonly slots = new Map<tf.Variable, tf.Variable>();

  get(variable: tf.Variable): tf.Variable {
    let slot = this.slots.get(variable);
    if (slot === undefined) {
      slot = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.slots.set(variable, slot);
    }
    return slot;
  }

  dispose(): void {
    for (const slot of this.slots.values()) slot.dispose();
    this.slots.clear();
  }
}

function pairs(
  variables: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
): [tf.Variable, tf.Tensor][] {
  if (variables.length !== grads.length) {
    throw new Error(`${variables.length} variables but ${grads.length} gradients`);
  }
  return variables.map((variable, i) => [variable, grads[i] as tf.Tensor]);
}

/**
 * torch.optim.Adam / AdamW:
 *   adam:  g ← g + wd·p                      adamw: p ← p·(1 - lr·wd)
 *   m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²
 *   p ← p - (lr/(1-β1ᵗ)) · m / (√v/√(1-β2ᵗ) + eps)
 */
class Adam implements Optimizer {
  private readonly firstMoments = new SlotMap();
  private readonly secondMoments = new SlotMap();
  private steps = 0;

  constructor(
    private readonly lr: number,
    private readonly weightDecay: number,
    private readonly decoupled: boolean,
  ) {}

  step(variables: readonly tf.Variable[], grads: readonly tf.Tensor[]): void {
    this.steps += 1;
    const stepSize = this.lr / (1 - ADAM_BETA1 ** this.steps);
    const sqrtCorrection2 = Math.sqrt(1 - ADAM_BETA2 ** this.steps);
    const fused = hasFusedAdam() ? this.fusedAttrs(stepSize, sqrtCorrection2) : undefined;
    for (const [variable, rawGrad] of pairs(variables, grads)) {
      const m = this.firstMoments.get(variable);
      const v = this.secondMoments.get(variable);
      if (fused !== undefined) {
        // The same float32 arithmetic as below in one kernel call instead of about fifteen.
        tf.tidy(() => {
          const inputs = { param: variable, grad: rawGrad, m, v };
          const [param, m1, v1] = tf
            .engine()
            .runKernel(ADAM_UPDATE, inputs, fused as unknown as tf.NamedAttrMap) as tf.Tensor[];
          m.assign(m1 as tf.Tensor);
          v.assign(v1 as tf.Tensor);
          variable.assign(param as tf.Tensor);
        });
        continue;
      }
      tf.tidy(() => {
        let param: tf.Tensor = variable;
        let grad = rawGrad;
        if (this.weightDecay > 0) {
          if (this.decoupled) param = tf.mul(variable, 1 - this.lr * this.weightDecay);
          else grad = tf.add(grad, tf.mul(variable, this.weightDecay));
        }
        m.assign(tf.add(tf.mul(m, ADAM_BETA1), tf.mul(grad, 1 - ADAM_BETA1)));
        v.assign(tf.add(tf.mul(v, ADAM_BETA2), tf.mul(tf.square(grad), 1 - ADAM_BETA2)));
        const denominator = tf.add(tf.div(tf.sqrt(v), sqrtCorrection2), ADAM_EPSILON);
        variable.assign(tf.sub(param, tf.mul(tf.div(m, denominator), stepSize)));
      });
    }
  }

  private fusedAttrs(stepSize: number, sqrtCorrection2: number): AdamUpdateAttrs {
    const { lr, weightDecay, decoupled } = this;
    return {
      beta1: ADAM_BETA1,
      oneMinusBeta1: 1 - ADAM_BETA1,
      beta2: ADAM_BETA2,
      oneMinusBeta2: 1 - ADAM_BETA2,
      sqrtCorrection2,
      epsilon: ADAM_EPSILON,
      stepSize,
      decay:
        weightDecay === 0
          ? { kind: 'none' }
          : decoupled
            ? { kind: 'decoupled', factor: 1 - lr * weightDecay }
            : { kind: 'l2', factor: weightDecay },
    };
  }

  dispose(): void {
    this.firstMoments.dispose();
    this.secondMoments.dispose();
  }
}

/**
 * torch.optim.SGD (dampening 0, no Nesterov): g ← g + wd·p; b ← μ·b + g (b = g at the first
 * step, which zero-initialized b gives too); p ← p - lr·b.
 */
class Sgd implements Optimizer {
  private readonly buffers = new SlotMap();

  constructor(
    private readonly lr: number,
    private readonly momentum: number,
    private readonly weightDecay: number,
  ) {}

  step(variables: readonly tf.Variable[], grads: readonly tf.Tensor[]): void {
    for (const [variable, rawGrad] of pairs(variables, grads)) {
      tf.tidy(() => {
        let direction =
          this.weightDecay > 0 ? tf.add(rawGrad, tf.mul(variable, this.weightDecay)) : rawGrad;
        if (this.momentum > 0) {
          const buffer = this.buffers.get(variable);
          buffer.assign(tf.add(tf.mul(buffer, this.momentum), direction));
          direction = buffer;
        }
        variable.assign(tf.sub(variable, tf.mul(direction, this.lr)));
      });
    }
  }

  dispose(): void {
    this.buffers.dispose();
  }
}
