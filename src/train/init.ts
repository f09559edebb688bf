import * as tf from '@tensorflow/tfjs';
import { type Rng, uniformArray } from './rng.js';

/**
 * PyTorch's default init for Linear and Conv2d: kaiming_uniform_(a=√5) on the weight, which is
 * U(-b, b) with b = gain·√(3/fan_in) = √(2/(1+5))·√(3/fan_in) = 1/√fan_in, and the bias
 * U(-1/√fan_in, 1/√fan_in). Both bounds are therefore the same; PyTorch uses 0 when fan_in is 0.
 */
export function torchDefaultBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/** fan_in of a Conv2d weight [out, in/groups, kh, kw]: what one output sums over. */
export function convFanIn(
  inChannels: number,
  groups: number,
  kernel: readonly [number, number],
): number {
  return (inChannels / groups) * kernel[0] * kernel[1];
}

/**
 * A tensor of `shape` drawn U(-bound, bound) from our seeded generator, in our layout's order.
 * PyTorch's generator cannot be replayed here, so runs match PyTorch's in distribution (figures
 * within seed noise), not bit for bit.
 */
export function seededUniform(rng: Rng, shape: readonly number[], bound: number): tf.Tensor {
  const count = shape.reduce((product, dim) => product * dim, 1);
  return tf.tensor(uniformArray(rng, count, bound), [...shape], 'float32');
}
