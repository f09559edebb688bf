/**
 * Fidelity: does the grader's TensorFlow.js training reproduce PyTorch's accuracy? Each course
 * network trains for the rubric's budget (3 epochs, Adam 1e-3, batch 64) on the real CIFAR-10
 * copy, once through the grader's own loop (wasm unless told) and once with PyTorch 1.13 on the
 * same files (bench/torch_fidelity.py, 2 threads), and the test accuracies are printed side by
 * side. Target: within 3 percentage points for every network. One seed per side, so expect
 * about ±1 pp of seed noise on top of any real difference.
 *
 *   npm run bench:fidelity -- [--backend wasm] [--network ConvNet] [--epochs 3] [--seed 42]
 *                             [--limit-train N] [--torch-threads 2] [--no-torch]
 *
 * Takes many minutes on two cores; the tfjs side runs first, then PyTorch, so they do not share
 * the CPU. Skips with a message when the CIFAR-10 copy is absent (readConfig().cifar10Dir).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { readConfig } from '../src/config.js';
import { loadCifar10FromDir } from '../src/data/index.js';
import { CIFAR10_TEST_FILE } from '../src/data/types.js';
import type { Layer } from '../src/spec/types.js';
import { createProgressReporter, selectBackend, trainExperiment } from '../src/train/index.js';
import type { BackendName, TrainOutcome } from '../src/train/types.js';
import { COURSE_NETWORKS, courseNetworkLayers } from './course-networks.js';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_fidelity.py', import.meta.url));
const TARGET_PP = 3;
/** The course notebook's own figures (PyTorch, 3 epochs), for context. */
const COURSE_FIGURES: Record<string, number> = {
  MLP: 42.17,
  ConvNet: 59.92,
  ConvNetSmall: 49.64,
  ConvNetTiny: 50.26,
};

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    network: { type: 'string', multiple: true },
    epochs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    'limit-train': { type: 'string' },
    'torch-threads': { type: 'string', default: '2' },
    'no-torch': { type: 'boolean', default: false },
  },
});

interface TorchResult {
  name: string;
  torch: string;
  params: number;
  testAccuracy: number;
  imagesPerSecond: number;
}

async function torchResults(
  dataDir: string,
  networks: { name: string; layers: Layer[] }[],
): Promise<Map<string, TorchResult>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fidelity-'));
  const requestFile = path.join(dir, 'request.json');
  try {
    await writeFile(
      requestFile,
      JSON.stringify({
        dataDir,
        epochs: Number(values.epochs),
        batchSize: 64,
        lr: 1e-3,
        seed: Number(values.seed),
        threads: Number(values['torch-threads']),
        limitTrain: values['limit-train'] === undefined ? null : Number(values['limit-train']),
        networks,
      }),
    );
    const { stdout } = await promisify(execFile)(PYTHON, [TORCH_SCRIPT, requestFile], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const results = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TorchResult);
    return new Map(results.map((result) => [result.name, result]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function cell(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

async function main(): Promise<void> {
  const dataDir = readConfig().cifar10Dir;
  if (!existsSync(path.join(dataDir, CIFAR10_TEST_FILE))) {
    process.stdout.write(
      `fidelity: skipped, no CIFAR-10 copy at ${dataDir} (set AUTOGRADER_CIFAR10_DIR)\n`,
    );
    return;
  }
  const wanted = values.network;
  const chosen = COURSE_NETWORKS.filter((n) => wanted === undefined || wanted.includes(n.name));
  const networks = await Promise.all(
    chosen.map(async (n) => ({ name: n.name, layers: await courseNetworkLayers(n.file) })),
  );
  const data = await loadCifar10FromDir(dataDir);
  const backend = await selectBackend(values.backend as BackendName);
  const epochs = Number(values.epochs);
  const seed = Number(values.seed);
  const reporter = createProgressReporter({
    isTTY: process.stderr.isTTY === true,
    write: (text) => process.stderr.write(text),
    columns: process.stderr.columns,
  });
  process.stdout.write(
    `fidelity: ${epochs} epochs, Adam 1e-3, batch 64, seed ${seed}, ` +
      `tfjs ${backend.name} (${backend.detail}) vs PyTorch (${values['torch-threads']} threads)\n`,
  );

  const outcomes = new Map<string, TrainOutcome>();
  for (const network of networks) {
    const outcome = await trainExperiment({
      name: network.name,
      layers: network.layers,
      training: {
        optimizer: 'adam',
        lr: 1e-3,
        batch_size: 64,
        momentum: 0,
        weight_decay: 0,
        epochs,
      },
      data,
      seed,
      limitTrain: values['limit-train'] === undefined ? undefined : Number(values['limit-train']),
      onProgress: (p) => reporter.update(p),
    });
    reporter.finish(outcome);
    outcomes.set(network.name, outcome);
  }
  const torch = values['no-torch']
    ? new Map<string, TorchResult>()
    : await torchResults(dataDir, networks);

  const rows = networks.map(({ name }) => {
    const ours = outcomes.get(name);
    const theirs = torch.get(name);
    const difference =
      ours?.testAccuracy !== undefined && theirs
        ? ours.testAccuracy - theirs.testAccuracy
        : undefined;
    return [
      name,
      String(ours?.params ?? '—'),
      cell(ours?.testAccuracy),
      cell(theirs?.testAccuracy),
      difference === undefined ? '—' : `${difference >= 0 ? '+' : ''}${difference.toFixed(2)}`,
      difference === undefined ? '—' : Math.abs(difference) <= TARGET_PP ? 'yes' : 'NO',
      cell(COURSE_FIGURES[name]),
      cell(ours?.imagesPerSecond, 0),
      cell(theirs?.imagesPerSecond, 0),
    ];
  });
  const header = [
    'network',
    'params',
    `tfjs ${backend.name} %`,
    'PyTorch %',
    'diff pp',
    `≤ ${TARGET_PP} pp`,
    'course %',
    'tfjs img/s',
    'PyTorch img/s',
  ];
  const table = [header, header.map(() => '---'), ...rows];
  process.stdout.write(`${table.map((row) => `| ${row.join(' | ')} |`).join('\n')}\n`);
}

await main();
