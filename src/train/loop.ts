import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  hasFusedSoftmaxCrossEntropy,
  SOFTMAX_CROSS_ENTROPY,
} from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import { fillBatch } from '../data/index.js';
import { CIFAR10_CLASSES, CIFAR10_IMAGE_BYTES, type Cifar10Dataset } from '../data/types.js';
import type { Layer } from '../spec/types.js';
import { TrainingConfigError } from './errors.js';
import { evaluate } from './evaluate.js';
import { CIFAR10_INPUT_SHAPE, countTrainableParams, createModel } from './model.js';
import { createOptimizer, type Optimizer } from './optimizers.js';
import { createRng, RNG_STREAM, type Rng, shuffleInPlace } from './rng.js';
import type {
  EpochStats,
  ExperimentStatus,
  ResolvedTraining,
  TrainOutcome,
  TrainProgress,
} from './types.js';

export interface TrainExperimentInput {
  name: string;
  layers: Layer[];
  training: ResolvedTraining;
  data: Cifar10Dataset;
  /** Seeds the weights, the shuffling and the dropout masks. */
  seed: number;
  /** Wall-clock budget for training; past it the experiment ends "timeout". Unlimited if absent. */
  timeLimitMs?: number;
  /** Train on the first N training images / evaluate on the first N test images (quick runs). */
  limitTrain?: number;
  limitTest?: number;
  /** Milliseconds; injected for tests. */
  clock?: () => number;
  onProgress?: (progress: TrainProgress) => void;
  /** Aborting stops the run between steps and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Steps between reads of the loss back from the backend. Reading forces the backend to finish
 * the queued work, which costs a GPU backend its pipelining; reading every few steps still
 * catches a NaN within a few steps and keeps progress and the time limit responsive.
 */
const STEPS_PER_READ = 8;

/** Why a run stopped early; caught below and turned into the outcome's status. */
class StopTraining extends Error {
  constructor(
    readonly status: Exclude<ExperimentStatus, 'ok' | 'error'>,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Trains one experiment for the fixed epoch budget and evaluates it on the test split.
 *
 * A lean loop of our own rather than model.fit (which shuffles with an unseeded Math.random and
 * does much per-batch bookkeeping): a seeded shuffle, batches written into two reused buffers,
 * one tidied step (forward, softmax cross-entropy on the logits, gradients, PyTorch's update).
 * Everything it allocates is freed before it returns, whatever the outcome: the model, the
 * optimizer's state and every intermediate tensor.
 */
export async function trainExperiment(input: TrainExperimentInput): Promise<TrainOutcome> {
  const clock = input.clock ?? Date.now;
  const startedAt = clock();
  const epochs: EpochStats[] = [];
  let params = 0;
  let model: tf.LayersModel | undefined;
  let optimizer: Optimizer | undefined;
  let run: EpochRunner | undefined;
  const outcome = (status: ExperimentStatus, extra: Partial<TrainOutcome> = {}): TrainOutcome => {
    const trainingMs = run?.trainingMs ?? 0;
    return {
      name: input.name,
      status,
      epochs,
      params,
      seconds: (clock() - startedAt) / 1000,
      imagesPerSecond: trainingMs > 0 ? ((run?.trainedImages ?? 0) * 1000) / trainingMs : 0,
      ...extra,
    };
  };

  try {
    const { training } = input;
    if (!(Number.isInteger(training.batch_size) && training.batch_size > 0)) {
      throw new TrainingConfigError(
        `batch_size must be a positive integer, got ${training.batch_size}`,
      );
    }
    model = createModel(input.layers, { seed: input.seed });
    const outputShape = model.outputs[0]?.shape ?? [];
    if (outputShape.length !== 2 || outputShape[1] !== CIFAR10_CLASSES) {
      throw new TrainingConfigError(
        `the network must end with ${CIFAR10_CLASSES} logits; it ends with shape [${outputShape.slice(1).join(', ')}]`,
      );
    }
    params = countTrainableParams(model);
    optimizer = createOptimizer(training);

    run = new EpochRunner(input, model, optimizer, clock, startedAt);
    for (let epoch = 1; epoch <= training.epochs; epoch += 1) {
      epochs.push(await run.epoch(epoch));
    }
    const evaluation = await evaluate(model, input.data.test, {
      limit: input.limitTest,
      signal: input.signal,
    });
    return outcome('ok', { testAccuracy: evaluation.accuracy, testLoss: evaluation.loss });
  } catch (error) {
    if (input.signal?.aborted) throw input.signal.reason;
    if (error instanceof StopTraining) return outcome(error.status, { message: error.message });
    return outcome('error', { message: error instanceof Error ? error.message : String(error) });
  } finally {
    model?.dispose();
    optimizer?.dispose();
  }
}

/** The per-epoch machinery: buffers, shuffle order and running figures, shared by the epochs. */
class EpochRunner {
  private readonly variables: tf.Variable[];
  private readonly order: Uint32Array;
  private readonly images: Float32Array;
  private readonly labels: Int32Array;
  private readonly shuffleRng: Rng;
  trainedImages = 0;
  trainingMs = 0;

  constructor(
    private readonly input: TrainExperimentInput,
    private readonly model: tf.LayersModel,
    private readonly optimizer: Optimizer,
    private readonly clock: () => number,
    private readonly startedAt: number,
  ) {
    const { train } = input.data;
    const count = Math.min(input.limitTrain ?? train.count, train.count);
    if (count < 1) throw new TrainingConfigError('there are no training images');
    this.variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    this.order = Uint32Array.from({ length: count }, (_, i) => i);
    const batch = Math.min(input.training.batch_size, count);
    this.images = new Float32Array(batch * CIFAR10_IMAGE_BYTES);
    this.labels = new Int32Array(batch);
    this.shuffleRng = createRng(input.seed, RNG_STREAM.shuffle);
  }

  async epoch(epoch: number): Promise<EpochStats> {
    const { input, order } = this;
    const { batch_size: batchSize, epochs } = input.training;
    const epochStart = this.clock();
    shuffleInPlace(this.shuffleRng, order);
    let pending: { stats: tf.Tensor; size: number }[] = [];
    let seen = 0;
    let lossSum = 0;
    let correct = 0;
    let step = 0;

    const readPending = async (): Promise<void> => {
      const batches = pending;
      pending = [];
      const stacked = tf.tidy(() => tf.stack(batches.map(({ stats }) => stats)));
      tf.dispose(batches.map(({ stats }) => stats));
      const values = await stacked.data();
      stacked.dispose();
      batches.forEach(({ size }, i) => {
        const loss = values[2 * i] as number;
        if (!Number.isFinite(loss)) {
          throw new StopTraining(
            'diverged',
            `the training loss became ${loss} in epoch ${epoch} (around image ${seen + size}); ` +
              'the network diverged, try a lower learning rate or add normalization',
          );
        }
        lossSum += loss * size;
        correct += values[2 * i + 1] as number;
        seen += size;
      });
    };

    try {
      for (let start = 0; start < order.length; start += batchSize) {
        const size = Math.min(batchSize, order.length - start);
        fillBatch(input.data.train, order.subarray(start, start + size), this.images, this.labels);
        pending.push({ stats: this.step(size), size });
        step += 1;
        if (step % STEPS_PER_READ !== 0 && start + size < order.length) continue;
        await readPending();
        const now = this.clock();
        this.report(epoch, seen, lossSum / seen, now - epochStart);
        input.signal?.throwIfAborted();
        if (input.timeLimitMs !== undefined && now - this.startedAt > input.timeLimitMs) {
          throw new StopTraining(
            'timeout',
            `stopped in epoch ${epoch} of ${epochs}: the time limit of ` +
              `${Math.round(input.timeLimitMs / 1000)} s per experiment was reached`,
          );
        }
        await yieldToEventLoop();
      }
    } finally {
      // Also on an early stop, so images/s covers the partial epoch and nothing leaks.
      tf.dispose(pending.map(({ stats }) => stats));
      this.trainedImages += seen;
      this.trainingMs += this.clock() - epochStart;
    }
    const stats: EpochStats = {
      epoch,
      loss: lossSum / seen,
      accuracy: (100 * correct) / seen,
      seconds: (this.clock() - epochStart) / 1000,
      images: seen,
    };
    this.report(epoch, seen, stats.loss, 0, stats);
    return stats;
  }

  /**
   * One optimization step on the batch in the buffers. Returns [loss, correct] as a tensor so
   * the caller can read several steps at once.
   */
  private step(size: number): tf.Tensor {
    const { model, variables, optimizer } = this;
    let correct: tf.Tensor | undefined;
    const stats = tf.tidy(() => {
      const x = tf.tensor4d(this.images.subarray(0, size * CIFAR10_IMAGE_BYTES), [
        size,
        ...CIFAR10_INPUT_SHAPE,
      ]);
      const y = tf.tensor1d(this.labels.subarray(0, size), 'int32');
      const fusedLoss = hasFusedSoftmaxCrossEntropy();
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor2D;
        if (fusedLoss) {
          // The same loss and count in one kernel (and one for the gradient) instead of ~40.
          const [loss, hits] = tf
            .engine()
            .runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels: y }) as tf.Tensor[];
          correct = tf.keep(hits as tf.Tensor);
          return loss as tf.Scalar;
        }
        // Kept out of the tape's tidy; counted here to avoid a second forward pass.
        correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
        return tf.losses.softmaxCrossEntropy(tf.oneHot(y, CIFAR10_CLASSES), logits) as tf.Scalar;
      }, variables);
      optimizer.step(
        variables,
        variables.map((variable) => grads[variable.name] as tf.Tensor),
      );
      return tf.stack([value, correct as tf.Tensor]);
    });
    correct?.dispose();
    return stats;
  }

  /** `pendingMs`: time in the current epoch not yet added to trainingMs. */
  private report(
    epoch: number,
    seen: number,
    loss: number,
    pendingMs: number,
    completedEpoch?: EpochStats,
  ): void {
    const { onProgress } = this.input;
    if (!onProgress) return;
    const total = completedEpoch ? this.trainedImages : this.trainedImages + seen;
    const ms = this.trainingMs + pendingMs;
    onProgress({
      experiment: this.input.name,
      epoch,
      epochs: this.input.training.epochs,
      seen,
      total,
      loss,
      imagesPerSecond: ms > 0 ? (total * 1000) / ms : 0,
      imagesPerEpoch: this.order.length,
      ...(completedEpoch ? { completedEpoch } : {}),
    });
  }
}
