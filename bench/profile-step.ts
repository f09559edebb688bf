/**
 * Where a training step's time goes on the chosen backend: per-kernel totals over a few steps of
 * each course network (forward, softmax cross-entropy and correct count as the grader's loop
 * computes them, gradients, Adam), slowest first, and the step's wall time unprofiled, so that
 * the difference from the kernels' sum shows the engine's own cost per step. With
 * --students, the student-like networks of bench/student-architectures.ts at their own batch
 * sizes instead.
 *
 *   npx tsx bench/profile-step.ts [--backend wasm|cpu|tensorflow] [--steps N] [--network NAME]
 *                                 [--students] [--top 14]
 */

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  hasFusedSoftmaxCrossEntropy,
  SOFTMAX_CROSS_ENTROPY,
} from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import { fillBatch, syntheticCifar10 } from '../src/data/index.js';
import type { Layer } from '../src/spec/types.js';
import { createModel, createOptimizer } from '../src/train/index.js';
import { selectBenchBackend } from './bench-backend.js';
import { COURSE_NETWORKS, courseNetworkLayers } from './course-networks.js';
import { STUDENT_NETWORKS } from './student-architectures.js';

const COURSE_BATCH = 64;
const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '10' },
    network: { type: 'string' },
    students: { type: 'boolean', default: false },
    top: { type: 'string', default: '14' },
  },
});
const steps = Number(values.steps);
const info = await selectBenchBackend(values.backend);
console.log(`backend ${info.name} ${info.version} (${info.detail}), ${steps} steps`);
const networks: { name: string; batch: number; layers: () => Promise<Layer[]> }[] = values.students
  ? STUDENT_NETWORKS.map((n) => ({ ...n, layers: async () => n.layers }))
  : COURSE_NETWORKS.map((n) => ({
      name: n.name,
      batch: COURSE_BATCH,
      layers: () => courseNetworkLayers(n.file),
    }));

for (const network of networks) {
  if (values.network !== undefined && values.network !== network.name) continue;
  const BATCH = network.batch;
  const data = syntheticCifar10({ train: BATCH * steps, test: 1, seed: 1 });
  const images = new Float32Array(BATCH * 3072);
  const labels = new Int32Array(BATCH);
  const model = createModel(await network.layers(), { seed: 1 });
  const optimizer = createOptimizer({ optimizer: 'adam', lr: 1e-3, momentum: 0, weight_decay: 0 });
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const step = (index: number) => {
    fillBatch(
      data.train,
      Int32Array.from({ length: BATCH }, (_, i) => index * BATCH + i),
      images,
      labels,
    );
    tf.tidy(() => {
      const x = tf.tensor4d(images, [BATCH, 32, 32, 3]);
      const y = tf.tensor1d(labels, 'int32');
      // The loss and correct count as src/train/loop.ts computes them.
      const { grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor2D;
        if (hasFusedSoftmaxCrossEntropy()) {
          const [loss] = tf
            .engine()
            .runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels: y }) as tf.Tensor[];
          return loss as tf.Scalar;
        }
        tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
        return tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), logits) as tf.Scalar;
      }, variables);
      optimizer.step(
        variables,
        variables.map((v) => grads[v.name] as tf.Tensor),
      );
    });
  };
  step(0); // warm-up: operator creation and first-use costs
  const unprofiledStart = performance.now();
  for (let s = 0; s < steps; s += 1) step(s);
  const unprofiled = (performance.now() - unprofiledStart) / steps;
  const totals = new Map<string, { ms: number; calls: number }>();
  const started = performance.now();
  const profile = await tf.profile(() => {
    for (let s = 0; s < steps; s += 1) step(s);
  });
  const wall = performance.now() - started;
  if (process.env.PROFILE_SHAPES !== undefined) {
    for (const kernel of profile.kernels.slice(0, profile.kernels.length / steps)) {
      if (kernel.name === process.env.PROFILE_SHAPES) {
        console.log(
          `${kernel.name} ${String(kernel.kernelTimeMs)} ${kernel.inputShapes.map((s) => `[${s}]`).join(' ')}`,
        );
      }
    }
  }
  for (const kernel of profile.kernels) {
    // "…__op" entries wrap ops with custom gradients; their kernels are listed on their own.
    if (kernel.name.endsWith('__op')) continue;
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    const entry = totals.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    totals.set(kernel.name, entry);
  }
  const kernelMs = [...totals.values()].reduce((sum, { ms }) => sum + ms, 0);
  console.log(
    `\n${network.name} (batch ${BATCH}): ${unprofiled.toFixed(2)} ms/step wall, ${(wall / steps).toFixed(2)} profiled, kernels ${(kernelMs / steps).toFixed(2)} ms/step, ${[...totals.values()].reduce((sum, { calls }) => sum + calls, 0) / steps} kernel calls/step, load ${loadavg()[0]?.toFixed(2)}`,
  );
  for (const [name, { ms, calls }] of [...totals]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, Number(values.top))) {
    console.log(
      `  ${name.padEnd(28)} ${(ms / steps).toFixed(2).padStart(8)} ms/step  ${(calls / steps).toFixed(0).padStart(4)} calls  ${((100 * ms) / kernelMs).toFixed(1).padStart(5)}%`,
    );
  }
  model.dispose();
  optimizer.dispose();
}
