/**
 * Seed noise: how far one 3-epoch run's test accuracy moves with the seed alone, on the student's
 * engine (PyTorch 1.13 on the CPU, bench/torch_fidelity.py) and on the grader's (TensorFlow.js
 * through the grader's own loop, wasm unless told). Each network trains at the rubric's budget
 * (3 epochs, Adam 1e-3, batch 64) on the full CIFAR-10 copy once per seed on each engine.
 *
 *   npx tsx bench/seed-noise.ts [--seeds 1,2,...,8] [--network ConvNet] [--out FILE]
 *                               [--backend wasm] [--torch-threads 1] [--sequential]
 *
 * The raw figures go to rubric/noise/seed-noise.json (or --out) after every run, with the date,
 * the machine and the load average; a rerun keeps what the file holds and trains only the
 * missing (network, engine, seed) runs, so an interrupted measurement resumes. By default the two
 * engines train side by side, one core each: accuracy does not depend on the load, only time does.
 * Then `npx tsx scripts/derive-tolerances.ts` turns the file into the rubric's tolerances.
 * Skips with a message when the CIFAR-10 copy is absent (benchCifarDir()).
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCifar10FromDir } from '../src/data/index.js';
import { CIFAR10_TEST_FILE, type Cifar10Dataset } from '../src/data/types.js';
import { parseSeedNoise } from '../src/fairness/index.js';
import type { SeedNoiseMeasurements, SeedRun } from '../src/fairness/types.js';
import type { Layer } from '../src/spec/types.js';
import { selectBackend, trainExperiment } from '../src/train/index.js';
import type { BackendName } from '../src/train/types.js';
import { selectBenchBackend } from './bench-backend.js';
import { benchCifarDir } from './cifar-dir.js';
import { COURSE_NETWORKS, courseNetworkLayers } from './course-networks.js';
import {
  BATCH_NORM_FIDELITY_NETWORK,
  ENGINE_BIAS_NETWORKS,
  RESIDUAL_NOISE_NETWORK,
} from './student-architectures.js';
import { withTorchRequest } from './torch-request.js';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_fidelity.py', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../rubric/noise/seed-noise.json', import.meta.url));
const EPOCHS = 3;
const BATCH_SIZE = 64;
const LR = 1e-3;

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5,6,7,8' },
    network: { type: 'string', multiple: true },
    out: { type: 'string', default: DEFAULT_OUT },
    backend: { type: 'string', default: 'wasm' },
    'torch-threads': { type: 'string', default: '1' },
    sequential: { type: 'boolean', default: false },
  },
});

async function readExisting(file: string): Promise<SeedNoiseMeasurements | undefined> {
  if (!existsSync(file)) return undefined;
  // Checked field by field, so a damaged file is named where it is wrong, not half-used.
  return parseSeedNoise(JSON.parse(await readFile(file, 'utf8')));
}

/** Writes are chained so two engines finishing together never interleave a file. */
let writes: Promise<void> = Promise.resolve();
function save(file: string, measurements: SeedNoiseMeasurements): Promise<void> {
  measurements.measured = new Date().toISOString().slice(0, 10);
  measurements.load_average = loadavg().map((n) => Number(n.toFixed(2)));
  const text = `${JSON.stringify(measurements, null, 2)}\n`;
  writes = writes.then(async () => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  });
  return writes;
}

function record(runs: SeedRun[], seed: number, accuracy: number): void {
  runs.push({ seed, test_accuracy: Number(accuracy.toFixed(2)) });
  runs.sort((a, b) => a.seed - b.seed);
}

const missing = (runs: SeedRun[], seeds: number[]) =>
  seeds.filter((s) => !runs.some((r) => r.seed === s));

async function graderSide(
  networks: { name: string; layers: Layer[] }[],
  seeds: number[],
  data: Cifar10Dataset,
  measurements: SeedNoiseMeasurements,
  file: string,
): Promise<void> {
  for (const network of networks) {
    const entry = measurements.networks.find((n) => n.name === network.name);
    if (!entry) throw new Error(`no entry for ${network.name}`);
    for (const seed of missing(entry.grader, seeds)) {
      const outcome = await trainExperiment({
        name: network.name,
        layers: network.layers,
        training: {
          optimizer: 'adam',
          lr: LR,
          batch_size: BATCH_SIZE,
          momentum: 0,
          weight_decay: 0,
          epochs: EPOCHS,
        },
        data,
        seed,
      });
      if (outcome.status !== 'ok' || outcome.testAccuracy === undefined) {
        throw new Error(`${network.name} seed ${seed}: ${outcome.status} ${outcome.message ?? ''}`);
      }
      entry.params = outcome.params;
      record(entry.grader, seed, outcome.testAccuracy);
      process.stdout.write(
        `  grader  ${network.name} seed ${seed}: ${outcome.testAccuracy.toFixed(2)}% (${Math.round(outcome.imagesPerSecond)} img/s, load ${loadavg()[0]?.toFixed(1)})\n`,
      );
      await save(file, measurements);
    }
  }
}

interface TorchLine {
  name: string;
  seed: number;
  torch: string;
  params: number;
  testAccuracy: number;
  imagesPerSecond: number;
}

/** PyTorch's runs, one process per network, each result stored as its line arrives. */
async function studentSide(
  dataDir: string,
  networks: { name: string; layers: Layer[] }[],
  seeds: number[],
  measurements: SeedNoiseMeasurements,
  file: string,
): Promise<void> {
  const threads = Number(values['torch-threads']);
  for (const network of networks) {
    const entry = measurements.networks.find((n) => n.name === network.name);
    if (!entry) throw new Error(`no entry for ${network.name}`);
    const todo = missing(entry.student, seeds);
    if (todo.length === 0) continue;
    const request = {
      dataDir,
      epochs: EPOCHS,
      batchSize: BATCH_SIZE,
      lr: LR,
      seeds: todo,
      threads,
      limitTrain: null,
      networks: [network],
    };
    await withTorchRequest(request, async (requestFile) => {
      const child = spawn(PYTHON, [TORCH_SCRIPT, requestFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      for await (const line of createInterface({ input: child.stdout })) {
        if (!line.trim()) continue;
        const result = JSON.parse(line) as TorchLine;
        measurements.engines.student.version = result.torch;
        if (entry.params !== 0 && entry.params !== result.params) {
          throw new Error(
            `${network.name}: ${entry.params} parameters here, ${result.params} in PyTorch`,
          );
        }
        entry.params = result.params;
        record(entry.student, result.seed, result.testAccuracy);
        process.stdout.write(
          `  student ${network.name} seed ${result.seed}: ${result.testAccuracy.toFixed(2)}% (${Math.round(result.imagesPerSecond)} img/s)\n`,
        );
        await save(file, measurements);
      }
      const code = await exited;
      if (code !== 0) throw new Error(`PyTorch exited with ${code}: ${stderr.slice(-2000)}`);
    });
  }
}

async function main(): Promise<void> {
  const dataDir = benchCifarDir();
  if (!existsSync(path.join(dataDir, CIFAR10_TEST_FILE))) {
    process.stdout.write(
      `seed-noise: skipped, no CIFAR-10 copy at ${dataDir} (set AUTOGRADER_CIFAR10_DIR or run autograder data fetch)\n`,
    );
    return;
  }
  const seeds = values.seeds.split(',').map(Number);
  const wanted = values.network;
  const all: { name: string; layers: Layer[] }[] = [
    ...(await Promise.all(
      COURSE_NETWORKS.map(async (n) => ({
        name: n.name,
        layers: await courseNetworkLayers(n.file),
      })),
    )),
    BATCH_NORM_FIDELITY_NETWORK,
    RESIDUAL_NOISE_NETWORK,
    ...ENGINE_BIAS_NETWORKS,
  ];
  const networks = all.filter((n) => wanted === undefined || wanted.includes(n.name));
  const data = await loadCifar10FromDir(dataDir);
  // Side by side, each engine gets one core: the grader's wasm runs single-threaded.
  const backend = values.sequential
    ? await selectBenchBackend(values.backend)
    : await selectBackend(values.backend as BackendName, { wasmThreads: 1 });
  const file = path.resolve(values.out);
  const cpu = cpus();
  const measurements: SeedNoiseMeasurements = (await readExisting(file)) ?? {
    measured: '',
    machine: '',
    load_average: [],
    epochs: EPOCHS,
    train_images: data.train.count,
    test_images: data.test.count,
    batch_size: BATCH_SIZE,
    lr: LR,
    optimizer: 'adam',
    engines: {
      student: { name: 'pytorch', version: '', threads: Number(values['torch-threads']) },
      grader: { name: backend.name, version: backend.version, threads: backend.threads },
    },
    networks: [],
  };
  measurements.machine = `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
  for (const network of networks) {
    if (!measurements.networks.some((n) => n.name === network.name)) {
      measurements.networks.push({ name: network.name, params: 0, student: [], grader: [] });
    }
  }
  process.stdout.write(
    `seed-noise: seeds ${seeds.join(', ')}; ${EPOCHS} epochs, Adam ${LR}, batch ${BATCH_SIZE}, ` +
      `${data.train.count} training images; grader tfjs ${backend.name} (${backend.detail}), ` +
      `student PyTorch (${values['torch-threads']} threads); ${values.sequential ? 'one after the other' : 'side by side'} → ${file}\n`,
  );
  const grader = () => graderSide(networks, seeds, data, measurements, file);
  const student = () => studentSide(dataDir, networks, seeds, measurements, file);
  if (values.sequential) {
    await grader();
    await student();
  } else {
    await Promise.all([grader(), student()]);
  }
  await writes;
  process.stdout.write(`seed-noise: done, ${file}\n`);
}

await main();
// The threaded wasm backend's workers keep the event loop alive; output is already written.
process.exit(0);
