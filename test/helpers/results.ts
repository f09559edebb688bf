import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  buildFailureResult,
  buildGradedResult,
  buildRejectedResult,
  type DatasetRecord,
  DEFAULT_RUBRIC,
  type ResultFile,
  type Rubric,
} from '../../src/rubric/index.js';
import {
  CONVNET_LAYERS,
  CONVNET_PARAMS,
  checkInput,
  FULL_DATASET,
  SINGLE_CONV_LAYERS,
  SINGLE_CONV_PARAMS,
} from '../fixtures/grade/check-inputs.js';

const BACKEND = {
  name: 'wasm',
  version: '4.22.0',
  detail: 'test',
  device: 'cpu',
  threads: 1,
} as const;

/** A graded result: a ConvNet (final) and a single-conv experiment at the given accuracy. */
export function gradedResult(
  options: {
    accuracy?: number;
    source?: string;
    rubric?: Rubric;
    reportedParams?: number;
    dataset?: DatasetRecord;
  } = {},
): ResultFile {
  const accuracy = options.accuracy ?? 58;
  const facts = checkInput([
    {
      name: 'convnet',
      layers: CONVNET_LAYERS,
      params: CONVNET_PARAMS,
      reported: { params: options.reportedParams ?? CONVNET_PARAMS, test_accuracy: accuracy },
      measured: { test_accuracy: accuracy },
    },
    {
      name: 'small',
      layers: SINGLE_CONV_LAYERS,
      params: SINGLE_CONV_PARAMS,
      reported: { params: SINGLE_CONV_PARAMS, test_accuracy: 47 },
      measured: { test_accuracy: 47 },
    },
  ]);
  return buildGradedResult({
    rubric: options.rubric ?? DEFAULT_RUBRIC,
    submission: facts.submission,
    analyses: facts.analyses,
    experiments: facts.experiments,
    baseline: facts.baseline,
    dataset: options.dataset ?? FULL_DATASET,
    backend: BACKEND,
    seed: 42,
    identity: { sha256: 'c'.repeat(64), bytes: 900, source: options.source ?? null },
    executionTime: 100,
    complete: true,
  });
}

export function rejectedResult(source: string | null = null): ResultFile {
  return buildRejectedResult({
    errors: [{ path: '/experiments/0/layers/3', message: 'Linear needs a flat input' }],
    identity: { sha256: null, bytes: null, source },
  });
}

export function failedResult(previous?: ResultFile): ResultFile {
  return buildFailureResult({
    reason: 'timeout',
    message: 'Job attempt duration exceeded timeout',
    ...(previous ? { previous } : {}),
  });
}

/** Writes a result file under root at key with the given modification time. */
export async function writeResultAt(
  root: string,
  key: string,
  result: ResultFile | string,
  modifiedAt: Date,
): Promise<string> {
  const file = path.join(root, ...key.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, typeof result === 'string' ? result : JSON.stringify(result, null, 2));
  await utimes(file, modifiedAt, modifiedAt);
  return file;
}
