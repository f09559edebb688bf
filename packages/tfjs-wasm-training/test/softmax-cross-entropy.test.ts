import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasFusedSoftmaxCrossEntropy, SOFTMAX_CROSS_ENTROPY } from '../src/index.js';
import { onBothBackends, randomValues, tiedValues } from './helpers/backends.js';
import { startWasm } from './helpers/wasm.js';

beforeAll(async () => {
  await startWasm(2);
});

/**
 * [mean loss, correct count, dloss/dlogits…]: on wasm from the fused kernel and its gradient,
 * elsewhere from tfjs's own ops, as the trainer chooses.
 */
function lossCountAndGradient(logitValues: Float32Array, labelValues: number[], classes: number) {
  return () => {
    const logits = tf.tensor2d(logitValues, [labelValues.length, classes]);
    const labels = tf.tensor1d(labelValues, 'int32');
    let correct: tf.Tensor | undefined;
    const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => {
      if (hasFusedSoftmaxCrossEntropy()) {
        const [loss, hits] = tf
          .engine()
          .runKernel(SOFTMAX_CROSS_ENTROPY, { logits: z, labels }) as tf.Tensor[];
        correct = tf.keep(hits as tf.Tensor);
        return loss as tf.Scalar;
      }
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), labels), 'float32')));
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), z) as tf.Scalar;
    })(logits);
    const result = tf.concat([
      tf.reshape(value, [1]),
      tf.reshape(correct as tf.Tensor, [1]),
      tf.reshape(grad, [-1]),
    ]);
    correct?.dispose();
    return result;
  };
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('the fused softmax cross-entropy', () => {
  it('runs on wasm and not on cpu', async () => {
    // Act
    await tf.setBackend('cpu');
    const onCpu = hasFusedSoftmaxCrossEntropy();
    await tf.setBackend('wasm');
    const onWasm = hasFusedSoftmaxCrossEntropy();

    // Assess
    expect({ onCpu, onWasm }).toEqual({ onCpu: false, onWasm: true });
  });

  it.each([
    { description: 'a batch of 64 over 10 classes', rows: 64, classes: 10, spread: 4 },
    { description: 'one row', rows: 1, classes: 10, spread: 4 },
    { description: 'large logits (softmax must not overflow)', rows: 16, classes: 7, spread: 900 },
  ])(
    'gives the loss, the correct count and the gradient tfjs gives on cpu: $description',
    async (row) => {
      // Prepare
      const logits = randomValues(row.rows * row.classes, 11, -row.spread, row.spread);
      const labels = Array.from({ length: row.rows }, (_, i) => (i * 7 + 3) % row.classes);

      // Act
      const { cpu, wasm } = await onBothBackends(lossCountAndGradient(logits, labels, row.classes));

      // Assess: the loss to float32 rounding of its size, the count exactly.
      expectClose(
        wasm.subarray(0, 1),
        cpu.subarray(0, 1),
        1e-5 * Math.max(1, Math.abs(cpu[0] ?? 0)),
      );
      expect(wasm[1]).toBe(cpu[1]);
      expectClose(wasm.subarray(2), cpu.subarray(2), 1e-6);
    },
  );

  it('counts a tie for the largest logit as argMax does (the first one wins)', async () => {
    // Prepare: small integers, so rows hold ties for the largest logit.
    const classes = 5;
    const logits = tiedValues(40 * classes, 5);
    const labels = Array.from({ length: 40 }, (_, i) => i % classes);

    // Act
    const { cpu, wasm } = await onBothBackends(lossCountAndGradient(logits, labels, classes));

    // Assess
    expect(cpu[1]).toBeGreaterThan(0);
    expect(wasm[1]).toBe(cpu[1]);
    expectClose(wasm, cpu, 1e-5);
  });

  it('treats a label outside the classes as a row of zeros, as oneHot does', async () => {
    // Prepare
    const logits = randomValues(3 * 4, 2);

    // Act
    const { cpu, wasm } = await onBothBackends(lossCountAndGradient(logits, [1, -1, 4], 4));

    // Assess
    expectClose(wasm, cpu, 1e-5);
  });

  it('gives NaN for a NaN logit, so the trainer stops a diverged run', async () => {
    // Prepare
    await tf.setBackend('wasm');
    const logits = tf.tensor2d([0, Number.NaN, 1, 2, 3, 4], [2, 3]);
    const labels = tf.tensor1d([0, 2], 'int32');

    // Act
    const [loss, hits] = tf
      .engine()
      .runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels }) as tf.Tensor[];

    // Assess
    expect(Number.isNaN(loss?.dataSync()[0])).toBe(true);
    tf.dispose([logits, labels, loss, hits] as tf.Tensor[]);
  });
});
