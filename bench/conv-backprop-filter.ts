/**
 * Times (fastest call of --reps) the three ways the wasm Conv2DBackpropFilter fill-in computes
 * dW (the SIMD kernel and two XNNPACK products) on the course networks' conv layers at batch 64,
 * to pick one per layer shape.
 *
 *   npx tsx bench/conv-backprop-filter.ts [--reps 20]
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
];
for (const { size, cin, cout } of LAYERS) {
  const x = tf.randomUniform([64, size, size, cin]);
  const dy = tf.randomUniform([64, size, size, cout]);
  const cells: string[] = [];
  for (const method of ['simd', 'batchAsChannels', 'shiftedPlanes']) {
    const run = () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        filterShape: [3, 3, cin, cout],
        method,
      } as never) as tf.Tensor;
    run().dispose();
    // The fastest of single calls: on a shared machine, the least disturbed one.
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < reps; r += 1) {
      const started = performance.now();
      run().dispose();
      best = Math.min(best, performance.now() - started);
    }
    cells.push(`${method} ${best.toFixed(2)} ms`);
  }
  console.log(`  ${size}×${size} ${cin}→${cout}: ${cells.join(', ')}`);
  tf.dispose([x, dy]);
}
