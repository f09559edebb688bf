/**
 * Times the ways the wasm backend can run the course networks' conv layers at batch 64, fastest
 * call of --reps (on a shared machine, the least disturbed one), to pick one per layer shape:
 * the filter gradient (this project's SIMD kernel, and two XNNPACK products) and the forward
 * convolution (the SIMD kernel, and XNNPACK).
 *
 *   npx tsx bench/conv-kernels.ts [--reps 20]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/train/index.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '20' } } });
const reps = Number(values.reps);
const info = await selectBackend('wasm');
console.log(`backend ${info.name} ${info.version} (${info.detail})`);

/** [batch, size, size, in] → out, 3×3 "same": the course networks' conv layers. */
const LAYERS = [
  { size: 32, cin: 3, cout: 8 },
  { size: 32, cin: 8, cout: 16 },
  { size: 32, cin: 3, cout: 4 },
  { size: 16, cin: 4, cout: 8 },
  { size: 8, cin: 8, cout: 16 },
  { size: 16, cin: 16, cout: 32 },
  // ConvNet's second layer seen from its input gradient, a stride-1 Conv2D with 16 → 8 channels.
  { size: 32, cin: 16, cout: 8 },
];

/** The fastest of `reps` calls of `run`, in ms. */
function fastest(run: () => tf.Tensor): number {
  run().dispose();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r += 1) {
    const started = performance.now();
    run().dispose();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

for (const { size, cin, cout } of LAYERS) {
  const x = tf.randomUniform([64, size, size, cin]);
  const dy = tf.randomUniform([64, size, size, cout]);
  const filter = tf.randomUniform([3, 3, cin, cout]);
  const cells: string[] = [];
  for (const method of ['simd', 'batchAsChannels', 'shiftedPlanes']) {
    const ms = fastest(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: [1, 1],
          pad: 'same',
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
          filterShape: [3, 3, cin, cout],
          method,
        } as never) as tf.Tensor,
    );
    cells.push(`${method} ${ms.toFixed(2)} ms`);
  }
  const forward: string[] = [];
  for (const method of ['simd', 'xnnpack']) {
    const ms = fastest(
      () =>
        tf.engine().runKernel('Conv2D', { x, filter }, {
          strides: [1, 1],
          pad: 'same',
          dataFormat: 'NHWC',
          dilations: [1, 1],
          method,
        } as never) as tf.Tensor,
    );
    forward.push(`${method} ${ms.toFixed(2)} ms`);
  }
  console.log(`  ${size}×${size} ${cin}→${cout}: filter gradient ${cells.join(', ')}`);
  console.log(`  ${size}×${size} ${cin}→${cout}: forward ${forward.join(', ')}`);
  tf.dispose([x, dy, filter]);
}
