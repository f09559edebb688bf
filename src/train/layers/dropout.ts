import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import { isTraining, type Kwargs, type LayerArgs, oneTensor } from './common.js';

export interface SeededDropoutArgs extends LayerArgs {
  p: number;
  /** Dropout2d: drop whole channels of an NHWC tensor rather than single elements. */
  channels: boolean;
  rng: Rng;
}

/**
 * Dropout and Dropout2d as PyTorch does them (keep with probability 1-p, scale by 1/(1-p),
 * identity at inference), with each mask seeded from our generator. tfjs's Dropout layer either
 * reuses one fixed seed for every mask or draws from Math.random, which breaks reproducibility.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'SeededDropout';
  private readonly p: number;
  private readonly channels: boolean;
  private readonly rng: Rng;

  constructor(args: SeededDropoutArgs) {
    const { p, channels, rng, ...layerArgs } = args;
    super(layerArgs);
    this.p = p;
    this.channels = channels;
    this.rng = rng;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = oneTensor(inputs);
    if (!isTraining(kwargs) || this.p === 0) return x;
    return tf.tidy(() => {
      const [batch = 1] = x.shape;
      const maskShape =
        this.channels && x.rank === 4 ? [batch, 1, 1, x.shape[3] as number] : x.shape;
      const seed = this.rng.nextUint32();
      const keep = tf.greaterEqual(tf.randomUniform(maskShape, 0, 1, 'float32', seed), this.p);
      return tf.mul(x, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - this.p)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), p: this.p, channels: this.channels };
  }
}
