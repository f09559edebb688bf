import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Seeded uniform values in [low, high): the same inputs for both backends. */
export function randomValues(size: number, seed: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: size }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return low + ((high - low) * state) / 4294967296;
  });
}

/** Small integers, so pooling windows hold ties. */
export function tiedValues(size: number, seed: number): Float32Array {
  return randomValues(size, seed, 0, 3).map(Math.floor);
}

/**
 * Runs `compute` on the cpu backend (the reference) and on wasm with the fill-ins, from the same
 * inputs, and returns both results. On wasm it also checks that the kernels leave no tensor and
 * no backend buffer behind (partial results of helper threads included).
 */
export async function onBothBackends(
  compute: () => tf.Tensor,
): Promise<{ cpu: Float32Array; wasm: Float32Array; shape: number[] }> {
  await tf.setBackend('cpu');
  const reference = tf.tidy(compute);
  const cpu = reference.dataSync() as Float32Array;
  reference.dispose();

  await tf.setBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  const result = tf.tidy(compute);
  const wasm = result.dataSync() as Float32Array;
  const shape = result.shape;
  result.dispose();
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(tf.backend().numDataIds()).toBe(buffersBefore);
  return { cpu, wasm, shape };
}
