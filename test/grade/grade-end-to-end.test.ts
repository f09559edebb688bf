import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Cifar10Dataset, loadCifar10FromDir, syntheticCifar10 } from '../../src/data/index.js';
import { type DataSlice, gradeSubmission } from '../../src/grade/index.js';
import { type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import { selectBackend } from '../../src/train/index.js';
import type { BackendInfo } from '../../src/train/types.js';
import { REAL_CIFAR_SKIP_REASON, realCifarDir } from '../helpers/cifar.js';

const TWO_EXPERIMENTS = readFileSync(
  fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url)),
  'utf8',
);

/** The same submission with one reported count changed. */
function withReportedParams(experiment: string, params: number): string {
  const submission = JSON.parse(TWO_EXPERIMENTS);
  for (const e of submission.experiments) if (e.name === experiment) e.reported.params = params;
  return JSON.stringify(submission);
}

/** The result without its timings, which are all the determinism promise leaves out. */
function withoutTimings(result: ResultFile): unknown {
  return JSON.parse(JSON.stringify(result), (key, value) =>
    key === 'execution_time' || key === 'seconds' || key === 'images_per_second' ? 0 : value,
  );
}

function grade(
  bytes: string,
  data: Cifar10Dataset,
  backend: BackendInfo,
  slice?: DataSlice,
): Promise<ResultFile> {
  return gradeSubmission(
    { bytes },
    { loadData: async () => data, selectBackend: async () => backend, slice },
  );
}

// The real trainer on the wasm backend, which ships with the package and runs anywhere.
describe('grading with the real trainer on synthetic CIFAR-format data', () => {
  const data = syntheticCifar10({ train: 256, test: 128, seed: 7 });
  let backend: BackendInfo;
  beforeAll(async () => {
    backend = await selectBackend('wasm');
  });

  it('earns 3.1 and 3.2 in full with correct counts, leaks no tensors, and repeats exactly', async () => {
    // Prepare
    const tensorsBefore = tf.memory().numTensors;
    // Act
    const first = await grade(TWO_EXPERIMENTS, data, backend);
    const second = await grade(TWO_EXPERIMENTS, data, backend);
    // Assess
    expect(resultSchemaErrors(first)).toEqual([]);
    expect(first.tests.slice(0, 2).map((t) => [t.number, t.score, t.max_score])).toEqual([
      ['3.1', 3, 3],
      ['3.2', 1, 1],
    ]);
    expect(first.extra_data.experiments.map((e) => e.status)).toEqual(['ok', 'ok']);
    expect(first.extra_data.experiments[0]?.epochs).toHaveLength(3);
    expect(first.extra_data.backend?.name).toBe('wasm');
    expect(withoutTimings(second)).toEqual(withoutTimings(first));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it("earns 0 on 3.2 when the final network's count is wrong", async () => {
    // Prepare
    const wrong = withReportedParams('small', 5_516);
    // Act
    const result = await grade(wrong, data, backend);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.tests[0]).toMatchObject({ number: '3.1', score: 3 });
    expect(result.tests[1]).toMatchObject({ number: '3.2', score: 0, status: 'failed' });
    expect(result.tests[1]?.output).toContain('exactly the number of bias terms');
  });

  it('scores experiments stopped by the time limit, and says what happened', async () => {
    // Prepare
    const deps = { loadData: async () => data, selectBackend: async () => backend, timeLimitMs: 1 };
    const tensorsBefore = tf.memory().numTensors;
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data.outcome).toBe('graded');
    expect(result.extra_data.experiments.map((e) => e.status)).toEqual(['timeout', 'timeout']);
    expect(result.tests[2]).toMatchObject({ number: '3.3', score: 0 });
    expect(result.tests[2]?.output).toContain('full epoch budget');
    expect(result.output).toContain('**small** (timeout)');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

const realDir = realCifarDir('grading on a real CIFAR-10 slice');

describe.skipIf(realDir === undefined)(
  `grading a 2,000/1,000 slice of the real CIFAR-10 (${REAL_CIFAR_SKIP_REASON})`,
  () => {
    const slice = { limitTrain: 2000, limitTest: 1000 };
    let data: Cifar10Dataset;
    let backend: BackendInfo;
    beforeAll(async () => {
      data = await loadCifar10FromDir(realDir ?? '', slice);
      backend = await selectBackend('wasm');
    });

    it('earns 3.1 and 3.2 in full for a two-experiment submission with correct counts', async () => {
      // Act
      const result = await grade(TWO_EXPERIMENTS, data, backend, slice);
      // Assess
      expect(resultSchemaErrors(result)).toEqual([]);
      expect(result.tests.slice(0, 2).map((t) => [t.number, t.score, t.max_score])).toEqual([
        ['3.1', 3, 3],
        ['3.2', 1, 1],
      ]);
      expect(result.extra_data.dataset).toMatchObject({
        train_images: 2000,
        test_images: 1000,
        slice: { limit_train: 2000, limit_test: 1000 },
      });
      // Well above chance (10%) after 3 epochs on 2,000 images.
      expect(result.extra_data.experiments[0]?.test_accuracy).toBeGreaterThan(20);
    });

    it('earns 0 on 3.2 for the same submission with a wrong count', async () => {
      // Prepare
      const wrong = withReportedParams('small', 5_000);
      // Act
      const result = await grade(wrong, data, backend, slice);
      // Assess
      expect(result.tests[0]).toMatchObject({ number: '3.1', score: 3 });
      expect(result.tests[1]).toMatchObject({ number: '3.2', score: 0 });
    });
  },
);
