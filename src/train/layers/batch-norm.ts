import { BATCH_NORM_TRAIN, hasFusedBatchNorm } from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import { isTraining, type Kwargs, type LayerArgs, oneTensor } from './common.js';

/** PyTorch's defaults: running = (1 - momentum)·running + momentum·batch, and eps. */
const TORCH_BN_MOMENTUM = 0.1;
const TORCH_BN_EPSILON = 1e-5;

export interface TorchBatchNormArgs extends LayerArgs {
  numFeatures: number;
}

/**
 * BatchNorm1d/2d with PyTorch's semantics on the channels-last axis. tfjs's own layer differs
 * in two ways that matter here: its running variance takes the biased batch variance (PyTorch
 * takes the unbiased one) and its defaults are Keras's (momentum 0.99, eps 1e-3).
 * Training normalizes with the batch's statistics; inference with the running ones.
 */
export class TorchBatchNorm extends tf.layers.Layer {
  static readonly className = 'TorchBatchNorm';
  private readonly numFeatures: number;
  private gamma: tf.LayerVariable | undefined;
  private beta: tf.LayerVariable | undefined;
  private runningMean: tf.LayerVariable | undefined;
  private runningVar: tf.LayerVariable | undefined;

  constructor(args: TorchBatchNormArgs) {
    const { numFeatures, ...layerArgs } = args;
    super(layerArgs);
    this.numFeatures = numFeatures;
  }

  override build(): void {
    const shape = [this.numFeatures];
    this.gamma = this.addWeight('gamma', shape, 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', shape, 'float32', tf.initializers.zeros());
    this.runningMean = this.addWeight(
      'running_mean',
      shape,
      'float32',
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.runningVar = this.addWeight(
      'running_var',
      shape,
      'float32',
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = oneTensor(inputs);
    const gamma = (this.gamma as tf.LayerVariable).read();
    const beta = (this.beta as tf.LayerVariable).read();
    const runningMean = this.runningMean as tf.LayerVariable;
    const runningVar = this.runningVar as tf.LayerVariable;
    if (!isTraining(kwargs)) {
      return tf.tidy(() =>
        tf.batchNorm(x, runningMean.read(), runningVar.read(), beta, gamma, TORCH_BN_EPSILON),
      );
    }
    return tf.tidy(() => {
      const { y, mean, variance } = normalizeBatch(x, gamma, beta);
      const count = x.size / this.numFeatures;
      const bessel = count > 1 ? count / (count - 1) : 1;
      // State, not part of the loss: these ops lead to no output, so backprop skips them.
      const m = TORCH_BN_MOMENTUM;
      runningMean.write(tf.add(tf.mul(runningMean.read(), 1 - m), tf.mul(mean, m)));
      runningVar.write(tf.add(tf.mul(runningVar.read(), 1 - m), tf.mul(variance, m * bessel)));
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numFeatures: this.numFeatures };
  }
}

/**
 * Normalizes x with its batch's statistics over every axis but the last: one fused kernel each
 * way on wasm, tfjs's moments and batchNorm (a dozen ops with their gradients) elsewhere.
 */
function normalizeBatch(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  if (hasFusedBatchNorm()) {
    const [y, mean, variance] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon: TORCH_BN_EPSILON }) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    return { y, mean, variance };
  }
  const axes = x.shape.slice(0, -1).map((_, axis) => axis);
  const { mean, variance } = tf.moments(x, axes);
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, TORCH_BN_EPSILON), mean, variance };
}
