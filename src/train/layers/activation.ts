import * as tf from '@tensorflow/tfjs';
import { type Kwargs, type LayerArgs, oneTensor } from './common.js';

export type ActivationKind = 'ReLU' | 'LeakyReLU' | 'ELU' | 'GELU' | 'SiLU' | 'Sigmoid' | 'Tanh';

export interface TorchActivationArgs extends LayerArgs {
  kind: ActivationKind;
  /** LeakyReLU's negative_slope. */
  negativeSlope?: number;
}

const SQRT1_2 = Math.SQRT1_2;

/** PyTorch's element-wise activations; GELU is the exact erf form (PyTorch's default). */
export class TorchActivation extends tf.layers.Layer {
  static readonly className = 'TorchActivation';
  private readonly kind: ActivationKind;
  private readonly negativeSlope: number;

  constructor(args: TorchActivationArgs) {
    const { kind, negativeSlope = 0.01, ...layerArgs } = args;
    super(layerArgs);
    this.kind = kind;
    this.negativeSlope = negativeSlope;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = oneTensor(inputs);
    return tf.tidy(() => {
      switch (this.kind) {
        case 'ReLU':
          return tf.relu(x);
        case 'LeakyReLU':
          return tf.leakyRelu(x, this.negativeSlope);
        case 'ELU':
          return tf.elu(x);
        case 'GELU':
          return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1));
        case 'SiLU':
          return tf.mul(x, tf.sigmoid(x));
        case 'Sigmoid':
          return tf.sigmoid(x);
        case 'Tanh':
          return tf.tanh(x);
      }
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kind: this.kind, negativeSlope: this.negativeSlope };
  }
}
