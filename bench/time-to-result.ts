/**
 * The local parts of a submission's time to result, measured on this machine, and the
 * end-to-end estimate for both routes built from them (docs/cpu-route.md explains the sum):
 *
 *   - training: each experiment of the submission, `--steps` steps at its batch size through the
 *     grader's loop on the chosen engine (wasm unless told), first run a warm-up, then scaled to
 *     the rubric's epochs over 50,000 images; printed with the training work the validator
 *     estimates (MACs × 3 × images × epochs) and the rate in MAC/s that implies;
 *   - data: loading and checking the CIFAR-10 copy (when there is one);
 *   - image contents: bytes of what each Dockerfile adds that lives in this checkout (the
 *     production engines, the data).
 *
 * Start-up and image pull are not measurable here; pass what your region shows (the defaults
 * are the assumptions docs/cpu-route.md names):
 *
 *   npx tsx bench/time-to-result.ts [--submission rubric/examples/three-experiments.json]
 *        [--backend wasm] [--steps 20] [--runs 3] [--gpu-speedup 10]
 *        [--gpu-boot 300] [--gpu-pull-mbps 100] [--gpu-image-mb 5000]
 *        [--cpu-boot 60] [--cpu-pull-mbps 100] [--cpu-image-mb 450]
 */

import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCifar10FromDir, syntheticCifar10 } from '../src/data/index.js';
import { DEFAULT_RUBRIC } from '../src/rubric/index.js';
import { estimateResources, validateSubmission } from '../src/spec/index.js';
import { trainExperiment } from '../src/train/index.js';
import { selectBenchBackend } from './bench-backend.js';
import { benchCifarDir } from './cifar-dir.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    submission: { type: 'string', default: 'rubric/examples/three-experiments.json' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    'gpu-speedup': { type: 'string', default: '10' },
    'gpu-boot': { type: 'string', default: '300' },
    'gpu-pull-mbps': { type: 'string', default: '100' },
    'gpu-image-mb': { type: 'string', default: '5000' },
    'cpu-boot': { type: 'string', default: '60' },
    'cpu-pull-mbps': { type: 'string', default: '100' },
    'cpu-image-mb': { type: 'string', default: '450' },
  },
});
const number = (name: keyof typeof values): number => Number(values[name]);
const steps = number('steps');
const runs = number('runs');
const rubric = DEFAULT_RUBRIC;
const IMAGES = 50_000;

const bytes = await readFile(path.resolve(root, values.submission ?? ''));
const validation = validateSubmission(bytes, rubric);
if (!validation.valid) {
  console.error(`${values.submission} is not valid: ${validation.errors[0]?.message}`);
  process.exit(1);
}
const resources = estimateResources(validation.submission, validation.experiments, rubric);
const backend = await selectBenchBackend(values.backend);
console.log(
  `${new Date().toISOString()} ${values.submission} on ${backend.name} (${backend.detail}, ${backend.device}); load average ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);

let trainingSeconds = 0;
console.log('\nexperiment        batch   img/s   training work   MAC/s      full training');
for (const [index, experiment] of validation.submission.experiments.entries()) {
  const estimate = resources.experiments[index];
  if (!estimate) continue;
  const batch = estimate.batchSize;
  const data = syntheticCifar10({ train: batch * steps, test: batch, seed: 1 });
  const outcome = await trainExperiment({
    name: experiment.name,
    layers: experiment.layers,
    training: {
      optimizer: 'adam',
      lr: 1e-3,
      batch_size: batch,
      momentum: 0,
      weight_decay: 0,
      epochs: runs + 1,
    },
    data,
    seed: 1,
  });
  if (outcome.status !== 'ok') throw new Error(`${experiment.name}: ${outcome.status}`);
  const rates = outcome.epochs.slice(1).map((epoch) => epoch.images / epoch.seconds);
  const rate = rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)] ?? Number.NaN;
  const seconds = (IMAGES * rubric.training.epochs) / rate;
  trainingSeconds += seconds;
  const macRate = estimate.trainingMacs / seconds;
  console.log(
    `${experiment.name.padEnd(16)} ${String(batch).padStart(6)} ${rate.toFixed(0).padStart(7)}   ${estimate.trainingMacs.toExponential(2).padStart(13)}   ${macRate.toExponential(2)}   ${seconds.toFixed(0)} s`,
  );
}
console.log(
  `whole submission: ${resources.trainingMacs.toExponential(2)} MACs of training, ${trainingSeconds.toFixed(0)} s on ${backend.name}`,
);

const dataDir = benchCifarDir();
let loadSeconds = 0;
if (existsSync(path.join(dataDir, 'test_batch.bin'))) {
  const started = performance.now();
  await loadCifar10FromDir(dataDir);
  loadSeconds = (performance.now() - started) / 1000;
  console.log(`data: loading and checking CIFAR-10 took ${loadSeconds.toFixed(1)} s`);
} else {
  console.log(`data: no CIFAR-10 copy at ${dataDir}; load time left out`);
}

/** Bytes under a directory, following no links. */
async function sizeOf(dir: string): Promise<number> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(dir)) total += await sizeOf(path.join(dir, entry));
  return total;
}
const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
const engines = await sizeOf(path.join(root, 'node_modules', '@tensorflow'));
const cifar = await sizeOf(dataDir);
console.log(
  `image contents from this checkout: TensorFlow.js packages ${mb(engines)}, CIFAR-10 ${mb(cifar)}`,
);

const routes = [
  {
    name: 'CPU (Fargate, wasm)',
    boot: number('cpu-boot'),
    pull: number('cpu-image-mb') / number('cpu-pull-mbps'),
    train: trainingSeconds,
  },
  {
    name: 'GPU (g4dn, tfjs-node-gpu)',
    boot: number('gpu-boot'),
    pull: number('gpu-image-mb') / number('gpu-pull-mbps'),
    train: trainingSeconds / number('gpu-speedup'),
  },
];
console.log('\nroute                       start-up  image pull  data   training  total');
for (const route of routes) {
  const total = route.boot + route.pull + loadSeconds + route.train;
  console.log(
    `${route.name.padEnd(27)} ${route.boot.toFixed(0).padStart(6)} s ${route.pull.toFixed(0).padStart(8)} s ${loadSeconds.toFixed(0).padStart(4)} s ${route.train.toFixed(0).padStart(7)} s ${(total / 60).toFixed(1).padStart(5)} min`,
  );
}
console.log(
  '(start-up, pull rate, image sizes and the GPU speed-up are the flags given, not measured here)',
);
process.exit(0);
