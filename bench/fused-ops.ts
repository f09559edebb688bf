/**
 * One op's forward and backward at a student-network size, this project's fused wasm kernel
 * against the tfjs ops it replaces, alternated call by call; prints the median of each.
 *
 *   npx tsx bench/fused-ops.ts [--calls 15]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/train/index.js';
import { TorchBatchNorm } from '../src/train/layers/index.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '15' } } });
const calls = Number(values.calls);
const info = await selectBackend('wasm');

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

/** Times `run` (forward and backward, tidied, read back) `calls` times, alternating with `other`. */
function alternate(runs: Record<string, () => tf.Tensor>): Record<string, number> {
  const times: Record<string, number[]> = {};
  for (let call = 0; call <= calls; call += 1) {
    for (const [name, run] of Object.entries(runs)) {
      const started = performance.now();
      tf.tidy(() => run().dataSync());
      if (call === 0) continue;
      const list = times[name] ?? [];
      list.push(performance.now() - started);
      times[name] = list;
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, t]) => [name, median(t)]));
}

function batchNormCase(shape: [number, number, number, number]): void {
  const channels = shape[3];
  const x = tf.randomNormal(shape);
  const gamma = tf.ones([channels]);
  const beta = tf.zeros([channels]);
  const layer = new TorchBatchNorm({ numFeatures: channels });
  layer.build();
  const ms = alternate({
    fused: () =>
      tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input, { training: true }) as tf.Tensor))(x),
    'tfjs ops': () =>
      tf.grad((input: tf.Tensor) => {
        const { mean, variance } = tf.moments(input, [0, 1, 2]);
        return tf.sum(tf.batchNorm(input, mean, variance, beta, gamma, 1e-5));
      })(x),
  });
  console.log(
    `BatchNorm2d training forward+backward ${shape.join('×')}: fused ${ms.fused?.toFixed(1)} ms, tfjs ops ${ms['tfjs ops']?.toFixed(1)} ms`,
  );
  tf.dispose([x, gamma, beta]);
  for (const weight of layer.weights) weight.dispose();
}

console.log(
  `${new Date().toISOString()} wasm (${info.detail}), median of ${calls} alternated calls; load ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);
batchNormCase([128, 32, 32, 32]);
batchNormCase([128, 8, 8, 128]);
process.exit(0);
