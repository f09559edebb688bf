import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import * as tf from '@tensorflow/tfjs';
import { fillBatch } from '../data/index.js';
import { CIFAR10_CLASSES, CIFAR10_IMAGE_BYTES, type Cifar10Split } from '../data/types.js';
import { CIFAR10_INPUT_SHAPE } from './model.js';

export interface EvaluateOptions {
  /** Images per forward pass; larger is faster until memory runs short. */
  batchSize?: number;
  /** Evaluate only the first `limit` images of the split. */
  limit?: number;
  signal?: AbortSignal;
}

export interface Evaluation {
  /** Percent correct. */
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
  count: number;
}

const DEFAULT_EVAL_BATCH = 500;

/**
 * Accuracy and mean cross-entropy of `model` on a split, in inference mode: BatchNorm uses its
 * running statistics and Dropout is off, as after PyTorch's model.eval().
 */
export async function evaluate(
  model: tf.LayersModel,
  split: Cifar10Split,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const count = Math.min(options.limit ?? split.count, split.count);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? DEFAULT_EVAL_BATCH, count));
  const images = new Float32Array(batchSize * CIFAR10_IMAGE_BYTES);
  const labels = new Int32Array(batchSize);
  const indices = new Uint32Array(batchSize);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    options.signal?.throwIfAborted();
    const size = Math.min(batchSize, count - start);
    for (let i = 0; i < size; i += 1) indices[i] = start + i;
    fillBatch(split, indices.subarray(0, size), images, labels);
    const sums = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(0, size * CIFAR10_IMAGE_BYTES), [
        size,
        ...CIFAR10_INPUT_SHAPE,
      ]);
      const y = tf.tensor1d(labels.subarray(0, size), 'int32');
      const logits = model.apply(x, { training: false }) as tf.Tensor2D;
      const loss = tf.losses.softmaxCrossEntropy(
        tf.oneHot(y, CIFAR10_CLASSES),
        logits,
        undefined,
        undefined,
        tf.Reduction.SUM,
      );
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
      return tf.stack([loss, hits]);
    });
    const [batchLoss = Number.NaN, batchHits = 0] = await sums.data();
    sums.dispose();
    lossSum += batchLoss;
    correct += batchHits;
    await yieldToEventLoop();
  }
  return { accuracy: count > 0 ? (100 * correct) / count : 0, loss: lossSum / count, count };
}
