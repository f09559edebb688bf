import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import {
  type GradeDeps,
  gradeFiles,
  gradeSubmission,
  parallelTraining,
  resultPathFor,
} from '../../src/grade/index.js';
import type { ResultFile } from '../../src/rubric/index.js';
import { selectBackend, TrainerPool } from '../../src/train/index.js';
import type { BackendInfo, TrainProgress } from '../../src/train/types.js';

const TWO_EXPERIMENTS = readFileSync(
  fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url)),
  'utf8',
);

/** The fixture with a third experiment (a BatchNorm net), so two workers have to share. */
function threeExperiments(): string {
  const submission = JSON.parse(TWO_EXPERIMENTS);
  submission.experiments.push({
    name: 'batchnorm',
    layers: [
      { type: 'Conv2d', out_channels: 6, kernel_size: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d' },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernel_size: 4 },
      { type: 'Dropout', p: 0.2 },
      { type: 'Flatten' },
      { type: 'Linear', out_features: 10 },
    ],
    training: { optimizer: 'sgd', lr: 0.01, batch_size: 32, momentum: 0.9 },
  });
  return JSON.stringify(submission);
}

/** The result without its timings, which are all the determinism promise leaves out. */
function withoutTimings(result: ResultFile): unknown {
  return JSON.parse(JSON.stringify(result), (key, value) =>
    key === 'execution_time' || key === 'seconds' || key === 'images_per_second' ? 0 : value,
  );
}

const data = syntheticCifar10({ train: 192, test: 64, seed: 11 });
let backend: BackendInfo;
const deps = (): GradeDeps => ({
  loadData: async () => data,
  selectBackend: async () => backend,
});

beforeAll(async () => {
  // One wasm thread here and in each worker: the same arithmetic in the same order.
  backend = await selectBackend('wasm', { wasmThreads: 1 });
});

describe('training experiments in parallel', () => {
  it('gives the result a sequential run gives, timings aside', async () => {
    // Prepare
    const bytes = threeExperiments();
    const parallel = parallelTraining({
      workers: 2,
      selectBackend: async () => backend,
      wasmThreads: 1,
    });
    const progress = new Set<string>();
    try {
      // Act
      const sequential = await gradeSubmission({ bytes }, deps());
      const concurrent = await gradeSubmission(
        { bytes },
        {
          ...deps(),
          train: parallel.train,
          concurrency: parallel.concurrency,
          onProgress: (p: TrainProgress) => progress.add(p.experiment),
        },
      );
      // Assess
      expect(sequential.extra_data.experiments.map((e) => e.status)).toEqual(['ok', 'ok', 'ok']);
      expect(withoutTimings(concurrent)).toEqual(withoutTimings(sequential));
      expect([...progress].sort()).toEqual(['batchnorm', 'one-conv', 'small']);
    } finally {
      await parallel.close();
    }
  }, 120_000);

  it('grades a directory on a pool of workers, each result as a sequential run writes it', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'parallel-grade-'));
    const files = ['a.json', 'b.json'].map((name) => path.join(dir, name));
    writeFileSync(files[0] as string, threeExperiments());
    writeFileSync(files[1] as string, TWO_EXPERIMENTS);
    const sequentialDir = path.join(dir, 'sequential');
    const parallelDir = path.join(dir, 'parallel');
    const parallel = parallelTraining({
      workers: 2,
      selectBackend: async () => backend,
      wasmThreads: 1,
    });
    try {
      // Act
      await gradeFiles({
        files,
        resultFileFor: (f) => resultPathFor(f, sequentialDir),
        deps: deps(),
      });
      const graded = await gradeFiles({
        files,
        resultFileFor: (f) => resultPathFor(f, parallelDir),
        deps: { ...deps(), train: parallel.train, concurrency: parallel.concurrency },
        concurrency: parallel.concurrency,
      });
      // Assess
      expect(graded.map((g) => path.basename(g.file))).toEqual(['a.json', 'b.json']);
      for (const file of files) {
        const read = (out: string): unknown =>
          withoutTimings(JSON.parse(readFileSync(resultPathFor(file, out), 'utf8')) as ResultFile);
        expect(read(parallelDir)).toEqual(read(sequentialDir));
      }
    } finally {
      await parallel.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('TrainerPool', () => {
  let pool: TrainerPool;
  beforeAll(() => {
    pool = new TrainerPool({ workers: 1, backend: 'wasm', wasmThreads: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('reports a network the worker cannot build as that experiment failing, and keeps serving', async () => {
    // Prepare
    const training = {
      optimizer: 'adam',
      lr: 1e-3,
      batch_size: 32,
      momentum: 0,
      weight_decay: 0,
      epochs: 1,
    } as const;
    // Act
    const broken = await pool.train({
      name: 'broken',
      layers: [{ type: 'Linear', out_features: 10 }],
      training,
      data,
      seed: 1,
    });
    const fine = await pool.train({
      name: 'fine',
      layers: [{ type: 'Flatten' }, { type: 'Linear', out_features: 10 }],
      training,
      data,
      seed: 1,
      limitTest: 16,
    });
    // Assess
    expect(broken.status).toBe('error');
    expect(broken.message).toMatch(/flat input/);
    expect(fine.status).toBe('ok');
  }, 120_000);

  it('stops an experiment when the grader aborts it', async () => {
    // Prepare
    const controller = new AbortController();
    const training = {
      optimizer: 'adam',
      lr: 1e-3,
      batch_size: 8,
      momentum: 0,
      weight_decay: 0,
      epochs: 50,
    } as const;
    const running = pool.train({
      name: 'long',
      layers: [{ type: 'Flatten' }, { type: 'Linear', out_features: 10 }],
      training,
      data,
      seed: 1,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stop now')),
    });
    // Act & Assess
    await expect(running).rejects.toThrow('stop now');
  }, 120_000);
});
