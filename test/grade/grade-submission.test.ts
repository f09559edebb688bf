import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import type { TrainRequest } from '../../src/grade/index.js';
import { type GradeDeps, type GradeEvent, gradeSubmission } from '../../src/grade/index.js';
import { DEFAULT_RUBRIC, type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import type { BackendInfo } from '../../src/train/types.js';
import { type FakeAnswer, type FakeAnswers, fakeTrainer } from '../fixtures/grade/fake-trainer.js';
import { FIXED_POLICY_RUBRIC } from '../fixtures/rubric/fixed-policy-rubric.js';

const TWO_EXPERIMENTS = readFileSync(
  fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url)),
);
const BACKEND: BackendInfo = {
  name: 'cpu',
  version: '4.22.0',
  detail: 'fake',
  device: 'cpu',
  threads: 1,
};
const DATA = syntheticCifar10({ train: 64, test: 32, seed: 1 });

/** A clock that advances 250 ms per reading, so timings are non-zero yet predictable. */
function steppingClock(): () => number {
  let now = 0;
  return () => {
    now += 250;
    return now;
  };
}

function harness(answers: FakeAnswers = {}, overrides: Partial<GradeDeps> = {}) {
  const written: ResultFile[] = [];
  const events: GradeEvent[] = [];
  let loads = 0;
  const train = fakeTrainer(answers);
  const deps: GradeDeps = {
    loadData: async () => {
      loads += 1;
      return DATA;
    },
    selectBackend: async () => BACKEND,
    train,
    writeResult: async (result) => {
      written.push(structuredClone(result));
    },
    onEvent: (event) => events.push(event),
    clock: steppingClock(),
    rubric: FIXED_POLICY_RUBRIC,
    ...overrides,
  };
  return { deps, written, events, train, loads: () => loads };
}

/** CIFAR-10's full split sizes around the generated images: the fake trainer never reads them. */
const FULL_SIZE_DATA = {
  ...DATA,
  train: { ...DATA.train, count: 50_000 },
  test: { ...DATA.test, count: 10_000 },
};

/** The harness on data as large as CIFAR-10, where borderline figures are re-checked. */
function fullDataHarness(answers: FakeAnswers = {}, overrides: Partial<GradeDeps> = {}) {
  return harness(answers, { loadData: async () => FULL_SIZE_DATA, ...overrides });
}

describe('gradeSubmission', () => {
  it('trains every experiment, scores the rubric and writes a schema-valid result', async () => {
    // Prepare
    const h = harness();
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS, source: 'two.json' }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(h.train.requests.map((r) => [r.name, r.seed, r.training.epochs])).toEqual([
      ['small', 42, 3],
      ['one-conv', 42, 3],
    ]);
    expect(h.train.requests[0]?.timeLimitMs).toBe(
      DEFAULT_RUBRIC.training.time_limit_seconds_per_experiment * 1000,
    );
    expect(result.tests.map((t) => [t.number, t.score])).toEqual([
      ['3.1', 3],
      ['3.2', 1],
      ['3.3', 2],
      ['4.1', 1.5],
    ]);
    expect(result.extra_data).toMatchObject({
      outcome: 'graded',
      complete: true,
      final: 'small',
      submission: { bytes: TWO_EXPERIMENTS.byteLength, source: 'two.json' },
      dataset: { checksum: DATA.checksum, train_images: 64, test_images: 32, slice: null },
      baseline: { source: 'reference', accuracy: 42.17 },
    });
    expect(result.extra_data.submission.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.execution_time).toBeGreaterThan(0);
  });

  it('writes a checkpoint before and between experiments, then the final result', async () => {
    // Prepare
    const h = harness();
    // Act
    await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(h.written.map((r) => r.extra_data.complete)).toEqual([false, false, true]);
    expect(h.written.map((r) => r.extra_data.experiments.map((e) => e.status))).toEqual([
      ['not_run', 'not_run'],
      ['ok', 'not_run'],
      ['ok', 'ok'],
    ]);
    for (const written of h.written) expect(resultSchemaErrors(written)).toEqual([]);
    expect(h.events.map((e) => e.type)).toEqual([
      'validated',
      'ready',
      'experiment-start',
      'experiment-end',
      'experiment-start',
      'experiment-end',
    ]);
  });

  it('rejects an invalid submission with every error, without loading data or training', async () => {
    // Prepare
    const h = harness();
    const broken = JSON.parse(TWO_EXPERIMENTS.toString('utf8'));
    broken.final = 'nowhere';
    broken.experiments[0].layers[7].in_features = 4096;
    // Act
    const result = await gradeSubmission({ bytes: JSON.stringify(broken) }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.score).toBe(0);
    expect(result.extra_data).toMatchObject({ outcome: 'rejected', gradable: false });
    const paths = result.extra_data.errors.map((e) => e.path);
    expect(paths).toContain('/final');
    expect(paths.some((p) => p.startsWith('/experiments/0/layers/7'))).toBe(true);
    expect(h.loads()).toBe(0);
    expect(h.train.requests).toEqual([]);
    expect(h.written).toHaveLength(1);
  });

  it('scores the other experiments when one hits its time limit, and says so', async () => {
    // Prepare
    const timedOut: FakeAnswer = {
      status: 'timeout',
      message: 'stopped by the 1800 s time limit during epoch 2',
      epochs: [{ epoch: 1, loss: 2, accuracy: 30, seconds: 1800, images: 64 }],
      testAccuracy: undefined,
    };
    const h = harness({ small: timedOut });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(h.train.requests).toHaveLength(2);
    expect(result.extra_data.experiments.map((e) => e.status)).toEqual(['timeout', 'ok']);
    expect(result.tests.map((t) => t.score)).toEqual([3, 1, 0, 1]);
    expect(result.tests[2]?.output).toContain('stopped by the 1800 s time limit');
    expect(result.output).toContain('**small** (timeout): stopped by the 1800 s time limit');
    expect(result.extra_data.outcome).toBe('graded');
  });

  it('records a trainer that throws as a failed experiment and grades the rest', async () => {
    // Prepare
    const h = harness({ 'one-conv': new Error('WebAssembly.Memory(): could not allocate memory') });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data.experiments[1]).toMatchObject({
      status: 'error',
      message: 'training stopped with an error: WebAssembly.Memory(): could not allocate memory',
    });
    expect(result.tests.map((t) => t.score)).toEqual([3, 1, 2, 1.5]);
  });

  it('answers with a failure result when the data cannot be loaded', async () => {
    // Prepare
    const h = harness(
      {},
      {
        loadData: async () => {
          throw new Error('test_batch.bin is missing from /nowhere');
        },
      },
    );
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data).toMatchObject({
      outcome: 'failed',
      gradable: true,
      failure: { reason: 'crash', message: 'test_batch.bin is missing from /nowhere' },
    });
    expect(h.train.requests).toEqual([]);
    expect(h.written).toHaveLength(1);
  });

  it('compares with a calibrated baseline when one is stored for this backend and data', async () => {
    // Prepare
    const keys: string[] = [];
    const h = harness(
      { small: { testAccuracy: 45 } },
      {
        lookupCalibration: async (key) => {
          keys.push(`${key.rubricId}@${key.rubricVersion}/${key.backend}/${key.datasetChecksum}`);
          return 48;
        },
      },
    );
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    const key = `cifar10-conv@${DEFAULT_RUBRIC.version}/cpu/${DATA.checksum}`;
    expect(keys).toEqual([key]);
    expect(result.extra_data.baseline).toMatchObject({
      source: 'calibration',
      accuracy: 48,
      calibration_key: key,
    });
    expect(result.tests[2]).toMatchObject({ score: 1, status: 'failed' });
    expect(result.tests[2]?.output).toContain('trained by the grader the same way');
  });

  it('records a slice, with its own dataset checksum', async () => {
    // Prepare
    const h = harness({}, { slice: { limitTrain: 64 } });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(result.extra_data.dataset).toMatchObject({
      source_checksum: DATA.checksum,
      slice: { limit_train: 64, limit_test: null },
    });
    expect(result.extra_data.dataset?.checksum).not.toBe(DATA.checksum);
    expect(result.output).toContain('**A trial run, not a grade:** trained on a slice of CIFAR-10');
    expect(result.extra_data.trial?.reason).toContain('no claim was re-checked');
  });

  it('keeps what finished when grading is stopped between experiments', async () => {
    // Prepare
    const controller = new AbortController();
    const h = harness(
      {},
      {
        onEvent: (event) => {
          if (event.type === 'experiment-end') controller.abort(new Error('job deadline reached'));
        },
        signal: controller.signal,
      },
    );
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(h.train.requests).toHaveLength(1);
    expect(result.extra_data).toMatchObject({
      outcome: 'failed',
      complete: true,
      failure: { reason: 'timeout', message: 'grading was stopped: job deadline reached' },
    });
    expect(result.extra_data.experiments.map((e) => e.status)).toEqual(['ok', 'not_run']);
    expect(result.tests[0]?.score).toBe(3);
  });

  it('gives identical results apart from timings for identical inputs', async () => {
    // Prepare
    const first = harness();
    const second = harness({}, { clock: () => 5_000_000 + Math.random() * 1000 });
    // Act
    const a = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, first.deps);
    const b = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, second.deps);
    // Assess
    expect({ ...b, execution_time: 0 }).toEqual({ ...a, execution_time: 0 });
  });
});

/** Test accuracy by seed, for an experiment whose re-check runs differ from its first run. */
function bySeed(accuracies: Record<number, number | Error>): (request: TrainRequest) => FakeAnswer {
  return (request) => {
    const accuracy = accuracies[request.seed];
    if (accuracy === undefined) throw new Error(`no answer for seed ${request.seed}`);
    return accuracy instanceof Error ? accuracy : { testAccuracy: accuracy };
  };
}

describe('gradeSubmission re-checks borderline figures with more seeds', () => {
  it('does not re-check a trial on fewer images than CIFAR-10 has, and says why', async () => {
    // Prepare: the same borderline first run as below, on the 64 generated images.
    const h = harness({ 'one-conv': bySeed({ 42: 43.5, 43: 41, 44: 40.5 }) });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(h.train.requests.map((r) => [r.name, r.seed])).toEqual([
      ['small', 42],
      ['one-conv', 42],
    ]);
    expect(result.extra_data.trial?.reason).toContain('64 of 50,000 training');
    expect(result.tests[3]?.output).toContain('no claim was re-checked');
    expect(h.events.find((e) => e.type === 'ready')).toMatchObject({
      trial: result.extra_data.trial,
    });
  });

  it('trains only the borderline claim again, with the next seeds, and records why', async () => {
    // Prepare: "one-conv" reports 40.00%; a first run of 43.50% is 3.50 pp off, inside the band.
    const h = fullDataHarness({ 'one-conv': bySeed({ 42: 43.5, 43: 41, 44: 40.5 }) });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(h.train.requests.map((r) => [r.name, r.seed])).toEqual([
      ['small', 42],
      ['one-conv', 42],
      ['one-conv', 43],
      ['one-conv', 44],
    ]);
    expect(h.train.requests[3]?.timeLimitMs).toBe(h.train.requests[0]?.timeLimitMs);
    const [small, oneConv] = result.extra_data.experiments;
    expect(small?.recheck).toBeNull();
    expect(oneConv?.test_accuracy).toBe(43.5);
    expect(oneConv?.recheck).toMatchObject({
      tasks: ['4.1'],
      runs: [
        { seed: 43, status: 'ok', test_accuracy: 41 },
        { seed: 44, status: 'ok', test_accuracy: 40.5 },
      ],
    });
    expect(oneConv?.recheck?.reason).toContain('4.1: reported 40.00%, the first run gave 43.50%');
    expect(oneConv?.recheck?.mean).toBeCloseTo(125 / 3, 10);
    expect(result.tests[3]).toMatchObject({ number: '4.1', score: 2 });
    expect(result.tests[3]?.output).toContain('Held up on re-check');
    expect(result.tests[3]?.output).toContain('41.67% ± 1.61 over 3 runs (seeds 42–44)');
    const recheck = h.events.find((e) => e.type === 'recheck');
    expect(recheck).toMatchObject({
      name: 'one-conv',
      seeds: [43, 44],
      reported: 40,
      reproduced: 43.5,
    });
    expect(h.events.filter((e) => e.type === 'recheck-end')).toHaveLength(2);
  });

  it('writes a checkpoint before the re-check and after it, then the final result', async () => {
    // Prepare
    const h = fullDataHarness({ 'one-conv': bySeed({ 42: 43.5, 43: 41, 44: 40.5 }) });
    // Act
    await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(h.written.map((r) => r.extra_data.complete)).toEqual([false, false, false, false, true]);
    expect(h.written[2]?.extra_data.experiments[1]).toMatchObject({ status: 'ok', recheck: null });
    expect(h.written[3]?.extra_data.experiments[1]?.recheck?.runs).toHaveLength(2);
    for (const written of h.written) expect(resultSchemaErrors(written)).toEqual([]);
  });

  it('re-checks a final network the first run leaves just short of the baseline', async () => {
    // Prepare: 39.67% is 2.50 pp under the reference 42.17%: partial on one run.
    const h = fullDataHarness({ small: bySeed({ 42: 39.67, 43: 41.5, 44: 41 }) });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(h.train.requests.map((r) => [r.name, r.seed])).toContainEqual(['small', 44]);
    expect(result.extra_data.experiments[0]?.recheck?.tasks).toEqual(['3.3']);
    expect(result.extra_data.experiments[0]?.recheck?.reason).toMatch(
      /^3\.3: the first run gave 39\.67%/,
    );
    expect(result.tests[2]).toMatchObject({ number: '3.3', score: 2 });
    expect(result.tests[2]?.output).toContain('trained it again');
  });

  it('records a re-check run that fails and falls back to the first run, without crashing', async () => {
    // Prepare
    const h = fullDataHarness({
      'one-conv': bySeed({
        42: 43.5,
        43: 41,
        44: new Error('WebAssembly.Memory(): out of memory'),
      }),
    });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data.outcome).toBe('graded');
    expect(result.extra_data.experiments[1]?.recheck).toMatchObject({
      runs: [
        { seed: 43, status: 'ok' },
        { seed: 44, status: 'error', test_accuracy: null },
      ],
      mean: null,
      sd: null,
    });
    expect(result.tests[3]).toMatchObject({ number: '4.1', score: 1.5 });
    expect(result.tests[3]?.output).toContain('the re-check with seed 44 did not finish');
  });

  it('trains nothing more when every figure is clear-cut', async () => {
    // Prepare: the default fake answers 50% for both; "one-conv" claims 40%, 10 pp off: fails at once.
    const h = fullDataHarness();
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(h.train.requests).toHaveLength(2);
    expect(result.extra_data.experiments.map((e) => e.recheck)).toEqual([null, null]);
  });

  it('runs the re-check runs side by side with a parallel trainer', async () => {
    // Prepare
    let running = 0;
    let most = 0;
    const inner = fakeTrainer({ 'one-conv': bySeed({ 42: 43.5, 43: 41, 44: 40.5 }) });
    const train = async (request: TrainRequest) => {
      if (request.seed === 42) return inner(request);
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return inner(request);
    };
    const h = fullDataHarness({}, { train, concurrency: 2 });
    // Act
    const result = await gradeSubmission({ bytes: TWO_EXPERIMENTS }, h.deps);
    // Assess
    expect(
      inner.requests
        .filter((r) => r.seed !== 42)
        .map((r) => r.seed)
        .sort(),
    ).toEqual([43, 44]);
    expect(most).toBe(2);
    expect(result.extra_data.experiments[1]?.recheck?.runs.map((r) => r.seed)).toEqual([43, 44]);
  });
});
