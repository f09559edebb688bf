import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  buildFailureResult,
  buildGradedResult,
  buildRejectedResult,
  DEFAULT_RUBRIC,
  experimentRecord,
  type GradedResultInput,
  isFinalResult,
  resultSchemaErrors,
} from '../../src/rubric/index.js';
import type { TrainOutcome } from '../../src/train/types.js';
import {
  CONVNET_LAYERS,
  CONVNET_PARAMS,
  checkInput,
  FULL_DATASET,
  SINGLE_CONV_LAYERS,
  SINGLE_CONV_PARAMS,
} from '../fixtures/grade/check-inputs.js';

const BACKEND = {
  name: 'cpu',
  version: '4.22.0',
  detail: 'pure JavaScript',
  device: 'cpu',
  threads: 1,
} as const;
const IDENTITY = { sha256: 'b'.repeat(64), bytes: 1234, source: 'alice/convnet.json' };

function gradedInput(overrides: Partial<GradedResultInput> = {}): GradedResultInput {
  const facts = checkInput([
    {
      name: 'convnet',
      layers: CONVNET_LAYERS,
      params: CONVNET_PARAMS,
      reported: { params: CONVNET_PARAMS, test_accuracy: 56 },
    },
    {
      name: 'small|net',
      layers: SINGLE_CONV_LAYERS,
      params: SINGLE_CONV_PARAMS,
      reported: { params: SINGLE_CONV_PARAMS, test_accuracy: 47 },
      measured: { test_accuracy: 48 },
    },
  ]);
  return {
    rubric: DEFAULT_RUBRIC,
    submission: facts.submission,
    analyses: facts.analyses,
    experiments: facts.experiments,
    baseline: facts.baseline,
    dataset: FULL_DATASET,
    backend: BACKEND,
    seed: 42,
    identity: IDENTITY,
    executionTime: 12.345,
    complete: true,
    ...overrides,
  };
}

describe('buildGradedResult', () => {
  it('builds a schema-valid Gradescope result with tests, leaderboard and extra_data', () => {
    // Prepare
    const input = gradedInput();
    // Act
    const result = buildGradedResult(input);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.score).toBe(8);
    expect(result.execution_time).toBe(12.35);
    expect(result.tests.map((t) => [t.number, t.score, t.max_score, t.status])).toEqual([
      ['3.1', 3, 3, 'passed'],
      ['3.2', 1, 1, 'passed'],
      ['3.3', 2, 2, 'passed'],
      ['4.1', 2, 2, 'passed'],
    ]);
    expect(result.leaderboard).toEqual([
      { name: 'Accuracy (%)', value: 55, order: 'desc' },
      { name: 'Parameters', value: CONVNET_PARAMS, order: 'asc' },
    ]);
    expect(result.extra_data).toMatchObject({
      outcome: 'graded',
      gradable: true,
      complete: true,
      final: 'convnet',
      seed: 42,
      epochs: 3,
      backend: BACKEND,
      rubric: { id: 'cifar10-conv', version: DEFAULT_RUBRIC.version },
      submission: IDENTITY,
      dataset: FULL_DATASET,
    });
  });

  it('summarises the experiments in a Markdown table, escaping student-chosen names', () => {
    // Prepare
    const input = gradedInput();
    // Act
    const { output } = buildGradedResult(input);
    // Assess
    expect(output).toContain('## Score: 8 / 8');
    expect(output).toContain(
      '| convnet (final) | 42,362 | 42,362 | 4.24M | 56.00% | 55.00% | 1.600 → 1.400 → 1.300 | ok |',
    );
    expect(output).toContain('| small\\|net | 10,362 |');
    expect(output).toContain("MLP, 308,310 parameters, 42.17% (the course's reference figure");
    expect(output).toContain('| 3.3 Beat the MLP with fewer parameters | 2 / 2 |');
  });

  it('marks a checkpoint as incomplete and its untrained experiments as not run', () => {
    // Prepare
    const base = gradedInput();
    const [first, second] = base.submission.experiments;
    const [a1, a2] = base.analyses;
    if (!first || !second || !a1 || !a2) throw new Error('fixture lacks experiments');
    const done = base.experiments[0];
    if (!done) throw new Error('fixture lacks a record');
    const input = gradedInput({
      complete: false,
      experiments: [done, experimentRecord(second, a2, false)],
    });
    // Act
    const result = buildGradedResult(input);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(isFinalResult(result)).toBe(false);
    expect(result.output).toContain('## Grading in progress: 7.5 / 8 so far');
    expect(result.output).toContain('1 of 2 experiments are finished');
    expect(result.extra_data.experiments[1]).toMatchObject({
      status: 'not_run',
      test_accuracy: null,
    });
  });

  it('is byte-identical for identical inputs', () => {
    // Prepare
    const input = gradedInput();
    // Act
    const first = JSON.stringify(buildGradedResult(input));
    const second = JSON.stringify(buildGradedResult(structuredClone(input)));
    // Assess
    expect(second).toBe(first);
  });
});

describe('experimentRecord', () => {
  it('writes non-finite losses as null so the file stays valid JSON', () => {
    // Prepare
    const base = gradedInput();
    const [experiment] = base.submission.experiments;
    const [analysis] = base.analyses;
    if (!experiment || !analysis) throw new Error('fixture lacks experiments');
    const outcome: TrainOutcome = {
      name: experiment.name,
      status: 'diverged',
      message: 'the loss became NaN in epoch 2',
      epochs: [
        { epoch: 1, loss: 2.1, accuracy: 20, seconds: 1, images: 100 },
        { epoch: 2, loss: Number.NaN, accuracy: 10, seconds: 1, images: 100 },
      ],
      params: CONVNET_PARAMS,
      seconds: 2,
      imagesPerSecond: 100,
    };
    // Act
    const record = experimentRecord(experiment, analysis, true, outcome);
    const result = buildGradedResult(
      gradedInput({ experiments: [record, ...base.experiments.slice(1)] }),
    );
    // Assess
    expect(record.epochs.map((e) => e.loss)).toEqual([2.1, null]);
    expect(record.reported).toEqual({ params: CONVNET_PARAMS, test_accuracy: 56 });
    expect(resultSchemaErrors(JSON.parse(JSON.stringify(result)))).toEqual([]);
    expect(result.output).toContain('2.100 → NaN');
    expect(result.tests[0]).toMatchObject({ score: 0, status: 'failed' });
  });
});

describe('buildRejectedResult', () => {
  it('gives score 0, gradable false and every validation error with its path', () => {
    // Prepare
    const errors = [
      {
        path: '/experiments/0/layers/4/in_features',
        message: 'in_features is 4096 but 1024 features arrive',
      },
      { path: '', message: 'final names no experiment' },
    ];
    // Act
    const result = buildRejectedResult({ errors, identity: IDENTITY, executionTime: 0.01 });
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.score).toBe(0);
    expect(result.extra_data).toMatchObject({
      outcome: 'rejected',
      gradable: false,
      complete: true,
      errors,
    });
    expect(result.tests).toHaveLength(DEFAULT_RUBRIC.tasks.length);
    expect(result.tests.every((t) => t.score === 0 && t.status === 'failed')).toBe(true);
    expect(result.output).toContain('## Submission rejected: 0 / 8');
    expect(result.output).toContain(
      '| `/experiments/0/layers/4/in_features` | in\\_features is 4096',
    );
    expect(result.output).toContain('| (whole file) | final names no experiment |');
  });
});

describe('buildFailureResult', () => {
  it('says why the job stopped and scores nothing when nothing finished', () => {
    // Prepare
    const input = {
      reason: 'out_of_memory' as const,
      message: 'OutOfMemoryError: Container killed',
      identity: IDENTITY,
    };
    // Act
    const result = buildFailureResult(input);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.score).toBe(0);
    expect(result.extra_data).toMatchObject({
      outcome: 'failed',
      gradable: true,
      complete: true,
      failure: { reason: 'out_of_memory', message: 'OutOfMemoryError: Container killed' },
      submission: IDENTITY,
    });
    expect(result.output).toContain(
      'The grading job stopped: it ran out of memory. OutOfMemoryError: Container killed',
    );
    // Memory may run out because of the submission's size: no blanket "not your mistake".
    expect(result.output).not.toContain('not your mistake');
    expect(result.tests[0]?.output).toContain('Not graded');
    expect(isFinalResult(result)).toBe(true);
  });

  it('keeps what a checkpoint had finished', () => {
    // Prepare
    const base = gradedInput();
    const second = base.submission.experiments[1];
    const analysis = base.analyses[1];
    const done = base.experiments[0];
    if (!second || !analysis || !done) throw new Error('fixture lacks experiments');
    const checkpoint = buildGradedResult(
      gradedInput({
        complete: false,
        experiments: [done, experimentRecord(second, analysis, false)],
      }),
    );
    // Act
    const result = buildFailureResult({
      reason: 'host_lost',
      message: 'Host EC2 terminated',
      previous: checkpoint,
    });
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.score).toBe(checkpoint.score);
    expect(result.tests).toEqual(checkpoint.tests);
    expect(result.extra_data.experiments).toEqual(checkpoint.extra_data.experiments);
    expect(result.extra_data).toMatchObject({ outcome: 'failed', complete: true });
    expect(result.output).toContain('## Grading did not finish: 7.5 / 8');
    expect(result.output).toContain('What finished before it stopped is scored below.');
  });
});

describe('isFinalResult', () => {
  it.each([
    { description: 'null', data: null, valid: false },
    { description: 'a string', data: 'results', valid: false },
    { description: 'an object without extra_data', data: { score: 1 }, valid: false },
    { description: 'a checkpoint', data: { extra_data: { complete: false } }, valid: false },
    { description: 'a final result', data: { extra_data: { complete: true } }, valid: true },
  ])('says $valid for $description', ({ data, valid }) => {
    // Act
    const final = isFinalResult(data);
    // Assess
    expect(final).toBe(valid);
  });
});

describe('rubric/result.schema.json', () => {
  it('names what is wrong with a malformed result', () => {
    // Prepare
    const result: Record<string, unknown> = { ...buildRejectedResult({ errors: [] }) };
    delete result.score;
    result.tests = [{ name: 'x' }];
    // Act
    const errors = resultSchemaErrors(result);
    // Assess
    expect(errors).toContainEqual({ path: '', message: "must have required property 'score'" });
    expect(errors).toContainEqual({
      path: '/tests/0',
      message: "must have required property 'number'",
    });
  });
});

describe('the rubric module', () => {
  it('bundles without TensorFlow.js, so the Lambdas can use its result builders', async () => {
    // Prepare
    const entry = fileURLToPath(new URL('../../src/rubric/index.ts', import.meta.url));
    // Act
    const bundle = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Assess
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((p) => p.includes('src/rubric/result.ts'))).toBe(true);
    expect(inputs.filter((p) => p.includes('@tensorflow'))).toEqual([]);
  });
});
