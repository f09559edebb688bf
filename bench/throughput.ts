/**
 * Training throughput of the course's four networks: TensorFlow.js on the chosen backend (wasm
 * unless told) against PyTorch 1.13 on the CPU, in the same run. A "run" is `--steps` full
 * training steps at batch 64 through the grader's own loop (batch fill, forward, cross-entropy,
 * backward, Adam); each side's first run is a warm-up, and a measurement is the median of the
 * rest. Network by network, the two sides take turns for `--rounds` rounds, so that each ratio
 * compares measurements taken a few seconds apart: on a shared machine the load moves more than
 * that between minutes. The table gives the medians over rounds, and the median of the
 * per-round ratios.
 *
 *   npm run bench:throughput -- [--backend wasm] [--steps 30] [--runs 5] [--rounds 3]
 *                               [--network ConvNet] [--torch-threads 2] [--no-torch]
 *
 * The load average is printed: figures from a busy machine say little.
 */

import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { syntheticCifar10 } from '../src/data/index.js';
import { trainExperiment } from '../src/train/index.js';
import { median, type TorchResult } from './alternated-rates.js';
import { selectBenchBackend } from './bench-backend.js';
import { COURSE_NETWORKS, courseNetworkLayers } from './course-networks.js';

const BATCH = 64;
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_throughput.py', import.meta.url));

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '30' },
    runs: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    network: { type: 'string', multiple: true },
    'torch-threads': { type: 'string', default: '2' },
    'no-torch': { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const torchThreads = Number(values['torch-threads']);

/** Images/s of each timed run through trainExperiment: one epoch per run over `steps` batches. */
async function tfjsRates(file: string): Promise<{ rates: number[]; params: number }> {
  const data = syntheticCifar10({ train: BATCH * steps, test: BATCH, seed: 1 });
  const outcome = await trainExperiment({
    name: file,
    layers: await courseNetworkLayers(file),
    training: {
      optimizer: 'adam',
      lr: 1e-3,
      batch_size: BATCH,
      momentum: 0,
      weight_decay: 0,
      epochs: runs + 1,
    },
    data,
    seed: 1,
  });
  if (outcome.status !== 'ok') throw new Error(`${file}: ${outcome.status}: ${outcome.message}`);
  const timed = outcome.epochs.slice(1);
  return { rates: timed.map((epoch) => epoch.images / epoch.seconds), params: outcome.params };
}

async function torchRates(file: string): Promise<TorchResult> {
  const { stdout } = await promisify(execFile)(PYTHON, [
    TORCH_SCRIPT,
    fileURLToPath(new URL(`../${file}`, import.meta.url)),
    '--batch',
    String(BATCH),
    '--steps',
    String(steps),
    '--runs',
    String(runs),
    '--threads',
    String(torchThreads),
  ]);
  return JSON.parse(stdout) as TorchResult;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const info = await selectBenchBackend(values.backend);
const load = loadavg()
  .map((n) => n.toFixed(1))
  .join(' ');
console.log(
  `tfjs ${info.name} ${info.version} (${info.detail}) vs PyTorch CPU ${values['no-torch'] ? '(skipped)' : `with ${torchThreads} threads`}; ` +
    `batch ${BATCH}, ${rounds} rounds of ${runs} runs of ${steps} steps after a warm-up; ` +
    `load average ${load}`,
);
const rows: string[][] = [];
for (const network of COURSE_NETWORKS) {
  if (values.network !== undefined && !values.network.includes(network.name)) continue;
  const ours: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  let params = 0;
  for (let round = 1; round <= rounds; round += 1) {
    const tfjs = await tfjsRates(network.file);
    const torch = values['no-torch'] ? undefined : await torchRates(network.file);
    params = tfjs.params;
    ours.push(median(tfjs.rates));
    if (torch !== undefined) {
      theirs.push(torch.median);
      ratios.push(median(tfjs.rates) / torch.median);
    }
    console.log(
      `  ${network.name}, round ${round}: tfjs runs ${tfjs.rates.map(fmt).join(', ')}` +
        (torch === undefined
          ? ''
          : `; torch ${torch.torch} runs ${torch.images_per_second.map(fmt).join(', ')}`),
    );
  }
  rows.push([
    network.name,
    fmt(params),
    fmt(median(ours)),
    theirs.length === 0 ? '-' : fmt(median(theirs)),
    ratios.length === 0 ? '-' : `${median(ratios).toFixed(2)}×`,
  ]);
}
const header = [
  'network',
  'params',
  `tfjs ${info.name} img/s`,
  `PyTorch ${torchThreads}T img/s`,
  'ratio (median of rounds)',
];
const widths = header.map((title, i) =>
  Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
);
const line = (cells: string[]) =>
  `| ${cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join(' | ')} |`;
console.log(`\n${line(header)}\n|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`);
for (const row of rows) console.log(line(row));
console.log(
  `load average after: ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);
