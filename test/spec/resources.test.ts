import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC } from '../../src/rubric/default-rubric.js';
import type { Rubric } from '../../src/rubric/types.js';
import {
  CIFAR10_TRAIN_IMAGES,
  estimateResources,
  type Layer,
  type Submission,
  validateSubmission,
} from '../../src/spec/index.js';
import { submissionFilesIn } from '../helpers/examples.js';

const examples = fileURLToPath(new URL('../../rubric/examples/', import.meta.url));

const conv = (out: number, extra: Record<string, unknown> = {}): Layer =>
  ({ type: 'Conv2d', out_channels: out, kernel_size: 3, padding: 1, ...extra }) as Layer;
const bn: Layer = { type: 'BatchNorm2d' };
const relu: Layer = { type: 'ReLU' };
const pool: Layer = { type: 'MaxPool2d', kernel_size: 2 };
const flatten: Layer = { type: 'Flatten' };
const linear = (n: number): Layer => ({ type: 'Linear', out_features: n });

/** VGG-style: two conv+BN+ReLU per stage, 32 → 64 → 128 channels. */
const VGG_BN: Layer[] = [
  conv(32),
  bn,
  relu,
  conv(32),
  bn,
  relu,
  pool,
  conv(64),
  bn,
  relu,
  conv(64),
  bn,
  relu,
  pool,
  conv(128),
  bn,
  relu,
  pool,
  flatten,
  linear(10),
];

/** A ResNet-style net: a stem, three residual stages of 16, 32 and 64 channels. */
function block(channels: number, stride: number): Layer {
  return {
    type: 'Residual',
    body: [conv(channels, { stride, bias: false }), bn, relu, conv(channels, { bias: false }), bn],
    ...(stride > 1
      ? { shortcut: [conv(channels, { kernel_size: 1, padding: 0, stride, bias: false }), bn] }
      : {}),
  };
}
const SMALL_RESNET: Layer[] = [
  conv(16, { bias: false }),
  bn,
  relu,
  block(16, 1),
  relu,
  block(32, 2),
  relu,
  block(64, 2),
  relu,
  { type: 'AdaptiveAvgPool2d', output_size: 1 },
  flatten,
  linear(10),
];

/** The example: 12k parameters, but a 1,020-channel 832×832 activation. */
const PADDED_BLOWUP: Layer[] = [
  { type: 'Conv2d', out_channels: 1, kernel_size: 1, padding: 400 },
  { type: 'Conv2d', out_channels: 1020, kernel_size: 1 },
  { type: 'AdaptiveAvgPool2d', output_size: 1 },
  flatten,
  linear(10),
];

function submission(layers: Layer[], batch: number, experiments = 1): Submission {
  return {
    assignment: 'cifar10-conv',
    experiments: Array.from({ length: experiments }, (_, i) => ({
      name: `net-${i}`,
      layers,
      training: { optimizer: 'adam', lr: 0.001, batch_size: batch },
    })),
    final: 'net-0',
  };
}

const ORDINARY: Array<{ description: string; data: Submission }> = [
  { description: 'VGG-style 32→64→128 with BatchNorm at batch 128', data: submission(VGG_BN, 128) },
  { description: 'a small ResNet (16/32/64) at batch 128', data: submission(SMALL_RESNET, 128) },
  {
    description: 'four small ResNets at batch 64',
    data: submission(SMALL_RESNET, 64, 4),
  },
  {
    description: "the course's ConvNet at the largest batch",
    data: submission(
      [conv(8), relu, conv(16), relu, pool, flatten, linear(10)],
      DEFAULT_RUBRIC.training.bounds.batch_size.max,
    ),
  },
];

const OVER_BUDGET: Array<{
  description: string;
  data: Submission;
  path: string;
  message: RegExp;
}> = [
  {
    description: "the issue's padded 1×1 convolutions",
    data: submission(PADDED_BLOWUP, 64),
    path: '/experiments/0',
    message:
      /experiment "net-0": one training step needs an estimated [\d.]+ GiB at batch_size 64 .*the rubric allows at most 2\.00 GiB\. Most of it is \/experiments\/0\/layers\/1 \(Conv2d\)/,
  },
  {
    description: 'an AdaptiveAvgPool2d that upsamples to 1024×1024',
    data: submission(
      [conv(16), { type: 'AdaptiveAvgPool2d', output_size: 1024 }, pool, flatten, linear(10)],
      32,
    ),
    path: '/experiments/0',
    message: /Most of it is \/experiments\/0\/layers\/1 \(AdaptiveAvgPool2d\)/,
  },
  {
    description: 'VGG-style with BatchNorm at the largest batch',
    data: submission(VGG_BN, 512),
    path: '/experiments/0',
    message: /at batch_size 512 .*Most of it is \/experiments\/0\/layers\/1 \(BatchNorm2d\)/,
  },
  {
    description: 'eight experiments of full-resolution 64-channel convolutions',
    data: submission(
      [conv(64), relu, conv(64), relu, conv(64), relu, pool, flatten, linear(10)],
      16,
      8,
    ),
    path: '/experiments',
    message:
      /^training every experiment takes [\d.]+ trillion multiply-accumulates \(MACs per image × 3 .* the rubric allows at most 200 trillion per submission\. Experiment "net-0" is 13% of it, most of that in \/experiments\/0\/layers\/2 \(Conv2d\)/,
  },
];

describe('resource budget at validation', () => {
  it.each(submissionFilesIn(examples))('keeps the example %s valid', (file) => {
    // Act
    const result = validateSubmission(readFileSync(`${examples}${file}`));
    // Assess
    expect(result.errors).toEqual([]);
  });

  it.each(ORDINARY)('keeps $description valid', ({ data }) => {
    // Act
    const result = validateSubmission(JSON.stringify(data));
    // Assess
    expect(result.errors).toEqual([]);
  });

  it.each(OVER_BUDGET)('rejects $description, naming figure, limit and layer', (fixture) => {
    // Act
    const result = validateSubmission(JSON.stringify(fixture.data));
    // Assess
    expect(result.valid).toBe(false);
    const found = result.errors.filter((e) => e.path === fixture.path);
    expect(found.map((e) => e.message)).toContainEqual(expect.stringMatching(fixture.message));
  });

  it('takes the limits from the rubric it is given', () => {
    // Prepare
    const rubric: Rubric = {
      ...DEFAULT_RUBRIC,
      limits: { ...DEFAULT_RUBRIC.limits, max_step_memory_bytes: 2 ** 20 },
    };
    // Act
    const result = validateSubmission(readFileSync(`${examples}convnet.json`), rubric);
    // Assess
    expect(result.errors.map((e) => e.message)).toContainEqual(
      expect.stringContaining('the rubric allows at most 1.0 MiB'),
    );
  });
});

describe('estimateResources', () => {
  it('gives training work as MACs × 3 × training images × epochs, summed', () => {
    // Prepare
    const data = submission([conv(8), relu, pool, flatten, linear(10)], 64, 3);
    const result = validateSubmission(JSON.stringify(data));
    if (!result.valid) throw new Error(JSON.stringify(result.errors));
    // Act
    const estimate = estimateResources(result.submission, result.experiments);
    // Assess
    const macs = result.experiments[0]?.macs ?? 0;
    const perExperiment = macs * 3 * CIFAR10_TRAIN_IMAGES * DEFAULT_RUBRIC.training.epochs;
    expect(estimate.experiments.map((e) => e.trainingMacs)).toEqual([
      perExperiment,
      perExperiment,
      perExperiment,
    ]);
    expect(estimate.trainingMacs).toBe(3 * perExperiment);
    expect(estimate.experiments[0]?.dominantMacsLayer?.path).toBe('/experiments/0/layers/0');
  });

  it('scales step memory with the batch and names the layer that dominates it', () => {
    // Prepare
    const layers = [conv(8), relu, pool, flatten, linear(10)];
    const small = validateSubmission(JSON.stringify(submission(layers, 32)));
    const large = validateSubmission(JSON.stringify(submission(layers, 64)));
    if (!small.valid || !large.valid) throw new Error('fixtures must be valid');
    // Act
    const [a] = estimateResources(small.submission, small.experiments).experiments;
    const [b] = estimateResources(large.submission, large.experiments).experiments;
    // Assess: the activations double; the parameter copies stay.
    const params = small.experiments[0]?.params ?? 0;
    const activations = (a?.stepMemoryBytes ?? 0) - 4 * 9 * params;
    expect((b?.stepMemoryBytes ?? 0) - 4 * 9 * params).toBe(2 * activations);
    // Conv 8×32×32 with a bias: output, sum and its gradient, input gradient.
    expect(a?.dominantMemoryLayer).toEqual({
      path: '/experiments/0/layers/0',
      type: 'Conv2d',
      valuesPerImage: 3 * 8 * 32 * 32 + 3 * 32 * 32,
    });
  });

  it('counts an explicit pad of a convolution tfjs cannot pad in place, not a "same" one', () => {
    // Prepare
    const withPad = validateSubmission(
      JSON.stringify(submission([conv(8, { padding: 3, bias: false }), flatten, linear(10)], 8)),
    );
    const same = validateSubmission(
      JSON.stringify(submission([conv(8, { padding: 1, bias: false }), flatten, linear(10)], 8)),
    );
    if (!withPad.valid || !same.valid) throw new Error('fixtures must be valid');
    // Act
    const padded = estimateResources(withPad.submission, withPad.experiments).experiments[0];
    const inPlace = estimateResources(same.submission, same.experiments).experiments[0];
    // Assess: 8×36×36 out + 3×32×32 input gradient + 2 × the 3×38×38 padded copy.
    expect(padded?.layers[0]?.valuesPerImage).toBe(8 * 36 * 36 + 3 * 32 * 32 + 2 * 3 * 38 * 38);
    expect(inPlace?.layers[0]?.valuesPerImage).toBe(8 * 32 * 32 + 3 * 32 * 32);
  });
});
