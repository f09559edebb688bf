/**
 * Fidelity: does the grader's TensorFlow.js training reproduce PyTorch's accuracy? Each course
 * network (and one BatchNorm network, bench/student-architectures.ts) trains for the rubric's budget (3 epochs, Adam 1e-3, batch 64) on the real CIFAR-10
 * copy, once through the grader's own loop (wasm unless told) and once with PyTorch 1.13 on the
 * same files (bench/torch_fidelity.py, 2 threads), and the test accuracies are printed side by
 * side. Target: within 3 percentage points for every network. A single run's accuracy moves by
 * a point or more with the seed (init and shuffle), so `--seeds 1,2,3` trains each network once
 * per seed on both sides and compares the means (± the standard deviation over seeds).
 *
 *   npm run bench:fidelity -- [--backend wasm] [--network ConvNet] [--epochs 3] [--seeds 42]
 *                             [--limit-train N] [--torch-threads 2] [--no-torch]
 *
 * Takes many minutes on two cores; the tfjs side runs first, then PyTorch, so they do not share
 * the CPU. Skips with a message when the CIFAR-10 copy is absent (benchCifarDir()).
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { loadCifar10FromDir } from '../src/data/index.js';
import { CIFAR10_TEST_FILE } from '../src/data/types.js';
import type { Layer } from '../src/spec/types.js';
import { createProgressReporter, trainExperiment } from '../src/train/index.js';
import type { TrainOutcome } from '../src/train/types.js';
import { selectBenchBackend } from './bench-backend.js';
import { benchCifarDir } from './cifar-dir.js';
import { COURSE_NETWORKS, courseNetworkLayers } from './course-networks.js';
import { BATCH_NORM_FIDELITY_NETWORK } from './student-architectures.js';
import { withTorchRequest } from './torch-request.js';

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
    seeds: { type: 'string', default: '42' },
    'limit-train': { type: 'string' },
    'torch-threads': { type: 'string', default: '2' },
    'no-torch': { type: 'boolean', default: false },
  },
});

interface TorchResult {
  name: string;
  seed: number;
  torch: string;
  params: number;
  testAccuracy: number;
  imagesPerSecond: number;
}

async function torchResults(
  dataDir: string,
  networks: { name: string; layers: Layer[] }[],
  seeds: number[],
): Promise<TorchResult[]> {
  const request = {
    dataDir,
    epochs: Number(values.epochs),
    batchSize: 64,
    lr: 1e-3,
    seeds,
    threads: Number(values['torch-threads']),
    limitTrain: values['limit-train'] === undefined ? null : Number(values['limit-train']),
    networks,
  };
  return withTorchRequest(request, async (requestFile) => {
    const { stdout } = await promisify(execFile)(PYTHON, [TORCH_SCRIPT, requestFile], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TorchResult);
  });
}

function cell(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

function mean(numbers: readonly number[]): number | undefined {
  return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b, 0) / numbers.length;
}

/** "59.64" for one run, "58.90 ± 0.81" (sample standard deviation) for several. */
function spread(numbers: readonly number[]): string {
  const average = mean(numbers);
  if (average === undefined || numbers.length < 2) return cell(average);
  const variance = numbers.reduce((sum, x) => sum + (x - average) ** 2, 0) / (numbers.length - 1);
  return `${cell(average)} ± ${cell(Math.sqrt(variance))}`;
}

async function main(): Promise<void> {
  const dataDir = benchCifarDir();
  if (!existsSync(path.join(dataDir, CIFAR10_TEST_FILE))) {
    process.stdout.write(
      `fidelity: skipped, no CIFAR-10 copy at ${dataDir} (set AUTOGRADER_CIFAR10_DIR or run autograder data fetch)\n`,
    );
    return;
  }
  const wanted = values.network;
  const chosen = COURSE_NETWORKS.filter((n) => wanted === undefined || wanted.includes(n.name));
  const networks: { name: string; layers: Layer[] }[] = await Promise.all(
    chosen.map(async (n) => ({ name: n.name, layers: await courseNetworkLayers(n.file) })),
  );
  // BatchNorm's fused training kernels, checked against PyTorch the same way.
  if (wanted === undefined || wanted.includes(BATCH_NORM_FIDELITY_NETWORK.name)) {
    networks.push(BATCH_NORM_FIDELITY_NETWORK);
  }
  const data = await loadCifar10FromDir(dataDir);
  const backend = await selectBenchBackend(values.backend);
  const epochs = Number(values.epochs);
  const seeds = values.seeds.split(',').map(Number);
  const reporter = createProgressReporter({
    isTTY: process.stderr.isTTY === true,
    write: (text) => process.stderr.write(text),
    columns: process.stderr.columns,
  });
  process.stdout.write(
    `fidelity: ${epochs} epochs, Adam 1e-3, batch 64, seeds ${seeds.join(', ')}, ` +
      `tfjs ${backend.name} (${backend.detail}) vs PyTorch (${values['torch-threads']} threads)\n`,
  );

  const outcomes: TrainOutcome[] = [];
  for (const network of networks) {
    for (const seed of seeds) {
      const outcome = await trainExperiment({
        name: seeds.length > 1 ? `${network.name} seed ${seed}` : network.name,
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
      outcomes.push({ ...outcome, name: network.name });
    }
  }
  const torch = values['no-torch'] ? [] : await torchResults(dataDir, networks, seeds);

  const rows = networks.map(({ name }) => {
    const ours = outcomes.filter((o) => o.name === name);
    const theirs = torch.filter((t) => t.name === name);
    const oursAccuracy = ours.flatMap((o) =>
      o.testAccuracy === undefined ? [] : [o.testAccuracy],
    );
    const theirsAccuracy = theirs.map((t) => t.testAccuracy);
    const oursMean = mean(oursAccuracy);
    const theirsMean = mean(theirsAccuracy);
    const difference =
      oursMean !== undefined && theirsMean !== undefined ? oursMean - theirsMean : undefined;
    return [
      name,
      String(ours[0]?.params ?? '—'),
      spread(oursAccuracy),
      spread(theirsAccuracy),
      difference === undefined ? '—' : `${difference >= 0 ? '+' : ''}${difference.toFixed(2)}`,
      difference === undefined ? '—' : Math.abs(difference) <= TARGET_PP ? 'yes' : 'NO',
      cell(COURSE_FIGURES[name]),
      cell(mean(ours.map((o) => o.imagesPerSecond)), 0),
      cell(mean(theirs.map((t) => t.imagesPerSecond)), 0),
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
// The wasm backend's worker threads (when it runs multi-threaded) keep Node's event loop alive
// after the work is done; exit rather than idle on. Output is written synchronously on Linux.
process.exit(0);
