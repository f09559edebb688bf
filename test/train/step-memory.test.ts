import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import { DEFAULT_RUBRIC } from '../../src/rubric/default-rubric.js';
import {
  estimateResources,
  type Layer,
  type Submission,
  validateSubmission,
} from '../../src/spec/index.js';
import { selectBackend } from '../../src/train/backend.js';
import { trainExperiment } from '../../src/train/loop.js';

/** wasm32's address space, which tfjs-backend-wasm's module may grow its heap to. */
const WASM_HEAP_MAX_BYTES = 4 * 2 ** 30;

const conv = (out: number, extra: Record<string, unknown> = {}): Layer =>
  ({ type: 'Conv2d', out_channels: out, kernel_size: 3, padding: 1, ...extra }) as Layer;
const relu: Layer = { type: 'ReLU' };
const pool: Layer = { type: 'MaxPool2d', kernel_size: 2 };
const flatten: Layer = { type: 'Flatten' };
const linear = (n: number): Layer => ({ type: 'Linear', out_features: n });

function submission(layers: Layer[], batch: number): Submission {
  return {
    assignment: 'cifar10-conv',
    experiments: [
      { name: 'net', layers, training: { optimizer: 'adam', lr: 1e-3, batch_size: batch } },
    ],
    final: 'net',
  };
}

/** Validates and estimates; throws if the rubric refuses the submission. */
function estimate(data: Submission): { bytes: number; valid: boolean } {
  const result = validateSubmission(JSON.stringify(data));
  if (!result.valid) return { bytes: Number.NaN, valid: false };
  const [experiment] = estimateResources(result.submission, result.experiments).experiments;
  return { bytes: experiment?.stepMemoryBytes ?? Number.NaN, valid: true };
}

/** The grader's own loop for exactly one step at `batch`; returns the engine's and heap's peaks. */
async function oneStep(data: Submission, batch: number): Promise<{ peak: number; heap: number }> {
  const [experiment] = data.experiments;
  if (!experiment) throw new Error('no experiment');
  const dataset = syntheticCifar10({ train: batch, test: 8, seed: 3 });
  const tensors = tf.memory().numTensors;
  let status = '';
  const profile = await tf.profile(async () => {
    const outcome = await trainExperiment({
      name: experiment.name,
      layers: experiment.layers,
      training: { ...resolved(batch), epochs: 1 },
      data: dataset,
      seed: 1,
      limitTest: 8,
    });
    status = `${outcome.status} ${outcome.message ?? ''}`;
  });
  expect(status.trim()).toBe('ok');
  expect(tf.memory().numTensors).toBe(tensors);
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return { peak: profile.peakBytes, heap: backend.wasm?.HEAPU8.buffer.byteLength ?? 0 };
}

function resolved(batch: number) {
  const { defaults } = DEFAULT_RUBRIC.training;
  return { ...defaults, batch_size: batch };
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('step memory estimate against tfjs on wasm', () => {
  it.each<{ description: string; layers: Layer[]; slack?: number }>([
    {
      description: 'conv, bias and ReLU',
      layers: [conv(8), relu, conv(16), relu, pool, flatten, linear(10)],
    },
    {
      description: 'BatchNorm and Dropout',
      // wasm trains BatchNorm with one fused kernel each way and keeps far fewer tensors than
      // the tensorflow backend's separate ops, which the estimate must also cover.
      slack: 3,
      layers: [
        conv(8, { bias: false }),
        { type: 'BatchNorm2d' },
        { type: 'Dropout', p: 0.3 },
        pool,
        flatten,
        { type: 'BatchNorm1d' },
        linear(10),
      ],
    },
    {
      description: 'a Residual block with a strided, grouped shortcut',
      layers: [
        conv(8),
        {
          type: 'Residual',
          body: [conv(16, { stride: 2 }), { type: 'GELU' }],
          shortcut: [conv(16, { stride: 2, groups: 4 })],
        },
        { type: 'AdaptiveAvgPool2d', output_size: 3 },
        flatten,
        linear(10),
      ],
    },
    {
      description: 'explicit padding and padded pooling',
      layers: [
        conv(4, { kernel_size: 1, padding: 6 }),
        { type: 'AvgPool2d', kernel_size: 3, stride: 2, padding: 1 },
        flatten,
        linear(10),
      ],
    },
  ])('holds at least what one step of $description uses', async ({ layers, slack = 1.6 }) => {
    // Prepare
    const batch = 8;
    const data = submission(layers, batch);
    const { bytes } = estimate(data);
    // Act
    const { peak } = await oneStep(data, batch);
    // Assess: an upper bound, and not a wasteful one.
    expect(bytes).toBeGreaterThanOrEqual(peak);
    expect(bytes).toBeLessThan(slack * peak);
  });
});

describe('the most memory the rubric allows', () => {
  it('trains one step on wasm at the largest batch within the 4 GiB heap', async () => {
    // Prepare: ReLU and bias-free 1×1 convolutions, whose estimate is the tightest measured,
    // stacked until one more block would break the rubric's step-memory limit.
    const batch = DEFAULT_RUBRIC.training.bounds.batch_size.max;
    const net = (blocks: number): Layer[] => [
      conv(16, { kernel_size: 1, padding: 0, bias: false }),
      ...Array.from({ length: blocks }, () => [
        relu,
        conv(16, { kernel_size: 1, padding: 0, bias: false }),
      ]).flat(),
      { type: 'AdaptiveAvgPool2d', output_size: 1 },
      flatten,
      linear(10),
    ];
    let blocks = 0;
    while (estimate(submission(net(blocks + 1), batch)).valid) blocks += 1;
    const largest = submission(net(blocks), batch);
    const { bytes } = estimate(largest);
    expect(bytes).toBeLessThanOrEqual(DEFAULT_RUBRIC.limits.max_step_memory_bytes);
    expect(bytes).toBeGreaterThan(0.9 * DEFAULT_RUBRIC.limits.max_step_memory_bytes);
    // Act
    const { peak, heap } = await oneStep(largest, batch);
    // Assess
    expect(peak).toBeLessThanOrEqual(bytes);
    expect(heap).toBeLessThan(WASM_HEAP_MAX_BYTES);
    process.stdout.write(
      `step memory at the limit: ${blocks} blocks, batch ${batch}, estimate ${(bytes / 2 ** 30).toFixed(2)} GiB, tfjs peak ${(peak / 2 ** 30).toFixed(2)} GiB, wasm heap ${(heap / 2 ** 30).toFixed(2)} GiB of 4\n`,
    );
  }, 300_000);
});
