/**
 * Training throughput of networks like the ones students hand in (bench/student-architectures.ts,
 * plus the rubric's resnet-small example): TensorFlow.js on the chosen backend (wasm unless
 * told) against PyTorch 1.13 on the CPU, on the same slice of the real CIFAR-10 training set.
 * A run is one epoch of `--steps` batches, at the network's own batch size, through the grader's
 * own loop (trainExperiment: batch fill, forward, cross-entropy, backward, Adam); each side's
 * first epoch is a warm-up and a measurement is the median of the rest. Network by network the
 * two sides take turns for `--rounds` rounds, and the ratio is the median of the per-round
 * ratios, so that each compares measurements taken seconds apart on a shared machine.
 *
 *   npm run bench:students -- [--backend wasm] [--steps 10] [--runs 3] [--rounds 3]
 *                             [--network ResNet] [--torch-threads 2] [--no-torch]
 *
 * The date and the load average are printed before and after. Skips with a message when the
 * CIFAR-10 copy is absent (benchCifarDir(), as the other benchmarks).
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { loadCifar10FromDir } from '../src/data/index.js';
import { CIFAR10_TEST_FILE, type Cifar10Dataset } from '../src/data/types.js';
import { trainExperiment } from '../src/train/index.js';
import { median, type TorchResult } from './alternated-rates.js';
import { selectBenchBackend } from './bench-backend.js';
import { benchCifarDir } from './cifar-dir.js';
import { courseNetworkLayers } from './course-networks.js';
import { STUDENT_NETWORKS, type StudentNetwork } from './student-architectures.js';
import { withTorchRequest } from './torch-request.js';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_student_networks.py', import.meta.url));

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
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

async function tfjsRates(
  network: StudentNetwork,
  data: Cifar10Dataset,
): Promise<{ rates: number[]; params: number }> {
  const outcome = await trainExperiment({
    name: network.name,
    layers: network.layers,
    training: {
      optimizer: 'adam',
      lr: 1e-3,
      batch_size: network.batch,
      momentum: 0,
      weight_decay: 0,
      epochs: runs + 1,
    },
    data,
    seed: 1,
    limitTrain: network.batch * steps,
    limitTest: network.batch,
  });
  if (outcome.status !== 'ok') {
    throw new Error(`${network.name}: ${outcome.status}: ${outcome.message}`);
  }
  const timed = outcome.epochs.slice(1);
  return { rates: timed.map((epoch) => epoch.images / epoch.seconds), params: outcome.params };
}

async function torchRates(network: StudentNetwork, dataDir: string): Promise<TorchResult> {
  const request = {
    dataDir,
    layers: network.layers,
    batch: network.batch,
    limit: network.batch * steps,
    runs,
    threads: torchThreads,
    seed: 1,
  };
  return withTorchRequest(request, async (file) => {
    const { stdout } = await promisify(execFile)(PYTHON, [TORCH_SCRIPT, file]);
    return JSON.parse(stdout) as TorchResult;
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const dataDir = benchCifarDir();
  if (!existsSync(path.join(dataDir, CIFAR10_TEST_FILE))) {
    console.log(`student-networks: skipped, no CIFAR-10 copy at ${dataDir}`);
    return;
  }
  const networks: StudentNetwork[] = [
    ...STUDENT_NETWORKS,
    {
      name: 'ResNetSmall',
      kind: 'rubric/examples/resnet-small.json (groups 2, Dropout2d)',
      batch: 128,
      layers: await courseNetworkLayers('rubric/examples/resnet-small.json'),
    },
  ].filter((n) => values.network === undefined || values.network.includes(n.name));
  const data = await loadCifar10FromDir(dataDir);
  const info = await selectBenchBackend(values.backend);
  console.log(
    `${new Date().toISOString()}: tfjs ${info.name} ${info.version} (${info.detail}) vs PyTorch CPU ` +
      `${values['no-torch'] ? '(skipped)' : `with ${torchThreads} threads`}; real CIFAR-10, ` +
      `${rounds} rounds of ${runs} epochs of ${steps} batches after a warm-up; load average ${load()}`,
  );
  const rows: string[][] = [];
  for (const network of networks) {
    const ours: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    let params = 0;
    for (let round = 1; round <= rounds; round += 1) {
      const tfjs = await tfjsRates(network, data);
      const torch = values['no-torch'] ? undefined : await torchRates(network, dataDir);
      params = tfjs.params;
      ours.push(median(tfjs.rates));
      if (torch !== undefined) {
        if (torch.params !== tfjs.params) {
          throw new Error(
            `${network.name}: ${tfjs.params} parameters here, ${torch.params} in PyTorch`,
          );
        }
        theirs.push(torch.median);
        ratios.push(median(tfjs.rates) / torch.median);
      }
      console.log(
        `  ${network.name}, round ${round}: tfjs ${tfjs.rates.map(fmt).join(', ')}` +
          (torch === undefined ? '' : `; torch ${torch.images_per_second.map(fmt).join(', ')}`) +
          ` (load ${load()})`,
      );
    }
    rows.push([
      network.name,
      network.kind,
      String(network.batch),
      fmt(params),
      fmt(median(ours)),
      theirs.length === 0 ? '-' : fmt(median(theirs)),
      ratios.length === 0 ? '-' : `${median(ratios).toFixed(2)}×`,
    ]);
  }
  const header = [
    'network',
    'class',
    'batch',
    'params',
    `tfjs ${info.name} img/s`,
    `PyTorch ${torchThreads}T img/s`,
    'ratio',
  ];
  console.log(
    `\n| ${header.join(' | ')} |\n|${header.map((_, i) => (i < 2 ? '---' : '--:')).join('|')}|`,
  );
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`${new Date().toISOString()}: load average after ${load()}`);
}

await main();
// The threaded wasm backend's workers keep the event loop alive; output is already written.
process.exit(0);
