import * as tf from '@tensorflow/tfjs';
import { torchDefaultBound } from '../init.js';
import type { Rng } from '../rng.js';
import {
  type Kwargs,
  type LayerArgs,
  oneShape,
  oneTensor,
  SeededLayer,
  type SymbolicShape,
} from './common.js';

export interface TorchLinearArgs extends LayerArgs {
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  rng: Rng;
}

/** PyTorch's Linear: y = x·Wᵀ + b, with W stored transposed ([in, out]) as tfjs multiplies. */
export class TorchLinear extends SeededLayer {
  static readonly className = 'TorchLinear';
  private readonly inFeatures: number;
  private readonly outFeatures: number;
  private readonly useBias: boolean;
  private kernel: tf.LayerVariable | undefined;
  private biasWeight: tf.LayerVariable | undefined;

  constructor(args: TorchLinearArgs) {
    const { rng, inFeatures, outFeatures, bias, ...layerArgs } = args;
    super(layerArgs, rng);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.useBias = bias;
  }

  override build(): void {
    const bound = torchDefaultBound(this.inFeatures);
    this.kernel = this.addUniformWeight('kernel', [this.inFeatures, this.outFeatures], bound);
    if (this.useBias) this.biasWeight = this.addUniformWeight('bias', [this.outFeatures], bound);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return [oneShape(inputShape)[0] ?? null, this.outFeatures];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() =>
      tf.fused.matMul({
        a: oneTensor(inputs) as tf.Tensor2D,
        b: (this.kernel as tf.LayerVariable).read() as tf.Tensor2D,
        bias: this.biasWeight?.read(),
      }),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.useBias,
    };
  }
}
