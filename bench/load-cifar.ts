/**
 * How long the data layer takes: loading (and checking and hashing) the real CIFAR-10 copy, and
 * filling one epoch of batch-64 NHWC float batches from it.
 *
 *   npx tsx bench/load-cifar.ts [--runs 5]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fillBatch, loadCifar10FromDir } from '../src/data/index.js';
import { benchCifarDir } from './cifar-dir.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const dir = benchCifarDir();
const BATCH = 64;

const loads: number[] = [];
const fills: number[] = [];
for (let run = 0; run < runs; run += 1) {
  const started = performance.now();
  const dataset = await loadCifar10FromDir(dir);
  loads.push(performance.now() - started);

  const images = new Float32Array(BATCH * 3072);
  const labels = new Int32Array(BATCH);
  const order = Uint32Array.from(
    { length: dataset.train.count },
    (_, i) => (i * 7919) % dataset.train.count,
  );
  const fillStarted = performance.now();
  for (let start = 0; start + BATCH <= order.length; start += BATCH) {
    fillBatch(dataset.train, order.subarray(start, start + BATCH), images, labels);
  }
  fills.push(performance.now() - fillStarted);
}
const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `CIFAR-10 from ${dir}; load average ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);
console.log(
  `load 60,000 images (read, check, sha256): median ${median(loads).toFixed(0)} ms of ${runs}`,
);
console.log(
  `fill one epoch of batch-${BATCH} NHWC float32 batches: median ${median(fills).toFixed(0)} ms`,
);
