import {
  hasPadding,
  type Nhwc4Padding,
  nhwcPadding,
  type Pads2d,
} from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import { seededUniform } from '../init.js';
import type { Rng } from '../rng.js';

/** tfjs-layers does not export these types by name; derive them from the Layer class. */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
export type Kwargs = Parameters<tf.layers.Layer['call']>[1];
export type SymbolicShape = (number | null)[];

// The padding geometry lives with the kernels, which pad too; the layers use it from there.
export { hasPadding, type Nhwc4Padding, nhwcPadding, type Pads2d };

export function oneTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs;
  const [tensor] = inputs;
  if (inputs.length !== 1 || tensor === undefined) {
    throw new Error(`this layer takes exactly one input, got ${inputs.length}`);
  }
  return tensor;
}

export function oneShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
  if (Array.isArray(shape[0])) return shape[0] as SymbolicShape;
  return shape as SymbolicShape;
}

export function isTraining(kwargs: Kwargs): boolean {
  return kwargs?.training === true;
}

/**
 * The padding tfjs's "same" applies along one axis (TensorFlow's rule: out = ceil(in/stride),
 * the extra row or column goes after). We use "same" only when it pads exactly what PyTorch
 * would, since it saves a pad op and its gradient on every step.
 */
export function tfSamePads(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
): [number, number] {
  const out = Math.ceil(size / stride);
  const effective = (kernel - 1) * dilation + 1;
  const total = Math.max((out - 1) * stride + effective - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** How a conv pads: tfjs "same" when it pads exactly PyTorch's amounts, else explicit pads. */
export interface PaddingPlan {
  mode: 'valid' | 'same';
  explicit?: Nhwc4Padding;
}

export function planPadding(
  pads: Pads2d,
  input: readonly [number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): PaddingPlan {
  if (!hasPadding(pads)) return { mode: 'valid' };
  const [top, bottom] = tfSamePads(input[0], kernel[0], stride[0], dilation[0]);
  const [left, right] = tfSamePads(input[1], kernel[1], stride[1], dilation[1]);
  const sameIsExact =
    top === pads.top && bottom === pads.bottom && left === pads.left && right === pads.right;
  return sameIsExact ? { mode: 'same' } : { mode: 'valid', explicit: nhwcPadding(pads) };
}

/** A layer whose weights start U(-bound, bound) from our seeded generator, as PyTorch's do. */
export abstract class SeededLayer extends tf.layers.Layer {
  constructor(
    args: LayerArgs,
    protected readonly rng: Rng,
  ) {
    super(args);
  }

  protected addUniformWeight(name: string, shape: number[], bound: number): tf.LayerVariable {
    const variable = this.addWeight(name, shape, 'float32', tf.initializers.zeros());
    const value = seededUniform(this.rng, shape, bound);
    variable.write(value);
    value.dispose();
    return variable;
  }
}
