import { BATCH_NORM_TRAIN, CONV2D_BIAS_RELU } from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  onBothBackends,
  randomValues,
} from '../../packages/tfjs-wasm-training/test/helpers/backends.js';
import type { Layer } from '../../src/spec/types.js';
import { selectBackend } from '../../src/train/backend.js';
import { createModel } from '../../src/train/index.js';
import { TorchBatchNorm } from '../../src/train/layers/index.js';
import { createOptimizer } from '../../src/train/optimizers.js';

// The trainer's own layers, model and optimizer on the wasm kernels package: what they ask of
// the kernels (the kernels themselves are tested in packages/tfjs-wasm-training/test).

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** float32 sums in a different order: agree to a tolerance scaled by the values' size. */
function expectClose(actual: Float32Array, expected: Float32Array, relative = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  const scale = expected.reduce((max, value) => Math.max(max, Math.abs(value)), 1);
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(e)) {
      expect(a).toBeNaN();
      continue;
    }
    worst = Math.max(worst, Math.abs(a - e));
  }
  expect(worst).toBeLessThanOrEqual(relative * scale);
}

beforeAll(async () => {
  // Two threads: the multi-threaded build, as graded on multi-core machines.
  await selectBackend('wasm', { wasmThreads: 2 });
});

describe('BatchNorm in training mode on wasm', () => {
  it.each([
    { description: '3 channels: no full vector, only the scalar tail', shape: [2, 5, 5, 3] },
    { description: '16 channels, 256 rows: whole blocks of rows', shape: [4, 8, 8, 16] },
    {
      description: '22 channels, 189 rows: vectors, a tail and a short last block',
      shape: [3, 7, 9, 22],
    },
    { description: 'BatchNorm1d: a batch of 6 feature vectors', shape: [5, 6] },
    { description: 'one row: zero variance', shape: [1, 1, 1, 8] },
    { description: 'values far from zero', shape: [8, 4, 4, 8], offset: 100 },
  ])('gives the cpu backend’s output, statistics and gradients: $description', async (row) => {
    // Prepare
    const { shape } = row;
    const channels = shape[shape.length - 1] as number;
    const xValues = randomValues(product(shape), 21).map((v) => v + (row.offset ?? 0));
    const weights = randomValues(product(shape), 22);

    // Act: y, dx, dgamma, dbeta and the running statistics after one step, in one tensor.
    const { cpu, wasm } = await onBothBackends(() => {
      const layer = new TorchBatchNorm({ numFeatures: channels });
      layer.build();
      const x = tf.tensor(xValues, shape);
      const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      tf.tidy(() => {
        (layer.trainableWeights[0] as tf.LayerVariable).write(
          tf.tensor1d(randomValues(channels, 23, 0.5, 1.5)),
        );
      });
      let y: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
        return tf.sum(tf.mul(y, tf.tensor(weights, shape))) as tf.Scalar;
      }, [gamma as tf.Variable, beta as tf.Variable]);
      const dx = tf.grad((input: tf.Tensor) =>
        tf.sum(
          tf.mul(layer.apply(input, { training: true }) as tf.Tensor, tf.tensor(weights, shape)),
        ),
      )(x);
      const running = layer.nonTrainableWeights.map((w) => w.read().flatten());
      const all = tf.concat([
        (y as tf.Tensor).flatten(),
        dx.flatten(),
        (grads[(gamma as tf.Variable).name] as tf.Tensor).flatten(),
        (grads[(beta as tf.Variable).name] as tf.Tensor).flatten(),
        ...running,
      ]);
      (y as tf.Tensor).dispose();
      value.dispose();
      for (const weight of layer.weights) weight.dispose();
      return all;
    });

    // Assess
    expectClose(wasm, cpu);
  });

  it('runs as one kernel each way on wasm, in place of moments, batchNorm and their gradients', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const layer = new TorchBatchNorm({ numFeatures: 8 });
    layer.build();
    const x = tf.tensor(randomValues(2 * 4 * 4 * 8, 24), [2, 4, 4, 8]);

    // Act
    const profile = await tf.profile(() =>
      tf.tidy(() =>
        tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input, { training: true }) as tf.Tensor))(
          x,
        ),
      ),
    );

    // Assess
    const names = profile.kernels.map((kernel) => kernel.name);
    expect(names).toContain(BATCH_NORM_TRAIN);
    expect(names).toContain(`${BATCH_NORM_TRAIN}Grad`);
    expect(names).not.toContain('FusedBatchNorm');
    expect(names).not.toContain('Tile');
    x.dispose();
    for (const weight of layer.weights) weight.dispose();
  });
});

describe('a model’s training step on wasm', () => {
  it('computes no gradient for the images: the first conv’s input gradient is skipped', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const model = createModel(
      [
        { type: 'Conv2d', in_channels: 3, out_channels: 4, kernel_size: 3, padding: 1 },
        { type: 'ReLU' },
        { type: 'Conv2d', in_channels: 4, out_channels: 4, kernel_size: 3, padding: 1 },
        { type: 'ReLU' },
        { type: 'Flatten' },
        { type: 'Linear', in_features: 4 * 32 * 32, out_features: 10 },
      ] as Layer[],
      { seed: 1 },
    );
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const x = tf.tensor4d(randomValues(2 * 32 * 32 * 3, 60), [2, 32, 32, 3]);

    // Act
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar,
        variables,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    const calls = (name: string) => profile.kernels.filter((kernel) => kernel.name === name).length;
    x.dispose();
    model.dispose();

    // Assess
    expect(calls('Conv2DBackpropFilter')).toBe(2);
    expect(calls('Conv2DBackpropInput')).toBe(1);
  });
});

describe('a Conv2d followed by a ReLU', () => {
  const layers = [
    { type: 'Conv2d', in_channels: 3, out_channels: 4, kernel_size: 3, padding: 1 },
    { type: 'ReLU' },
    { type: 'MaxPool2d', kernel_size: 2 },
    { type: 'Conv2d', in_channels: 4, out_channels: 6, kernel_size: 3, stride: 2 },
    { type: 'ReLU' },
    { type: 'Flatten' },
    { type: 'Linear', in_features: 6 * 7 * 7, out_features: 10 },
  ] as Layer[];

  /** The loss's gradients for every weight, flattened, on the active backend. */
  const gradients = () => {
    const model = createModel(layers, { seed: 3 });
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const x = tf.tensor4d(randomValues(2 * 32 * 32 * 3, 61), [2, 32, 32, 3]);
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      variables,
    );
    const result = tf.concat([
      tf.reshape(value, [1]),
      ...variables.map((v) => tf.reshape(grads[v.name] as tf.Tensor, [-1])),
    ]);
    model.dispose();
    return result;
  };

  it('trains as on cpu: the same loss and gradients for every weight', async () => {
    // Act
    const { cpu, wasm } = await onBothBackends(gradients);

    // Assess
    expectClose(wasm, cpu);
  });

  it('runs as one kernel forward on wasm, in place of conv, bias add and relu', async () => {
    // Prepare
    await tf.setBackend('wasm');

    // Act
    const profile = await tf.profile(() => {
      tf.dispose(gradients());
    });

    // Assess
    const calls = (name: string) => profile.kernels.filter((kernel) => kernel.name === name).length;
    expect(calls(CONV2D_BIAS_RELU)).toBe(2);
    expect(calls('Relu')).toBe(0);
    expect(calls('Conv2DBackpropInput')).toBe(1);
  });
});

describe('an optimizer step on the threaded wasm backend', () => {
  it('a training step leaves no tensor behind', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const optimizer = createOptimizer({
      optimizer: 'adam',
      lr: 1e-3,
      momentum: 0,
      weight_decay: 0,
    });
    const filter = tf.variable(tf.randomUniform([3, 3, 3, 8], -0.1, 0.1, 'float32', 1));
    const images = tf.randomUniform([8, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;

    // Act
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () =>
          tf
            .maxPool(tf.relu(tf.conv2d(images, filter as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')
            .sum(),
        [filter],
      );
      optimizer.step([filter], [grads[filter.name] as tf.Tensor]);
    });

    optimizer.dispose();

    // Assess: the optimizer's moments were the only tensors the step kept.
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([filter, images]);
  });
});
