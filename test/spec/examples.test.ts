import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateSubmission } from '../../src/spec/index.js';
import { submissionFilesIn } from '../helpers/examples.js';

const examples = fileURLToPath(new URL('../../rubric/examples/', import.meta.url));
const read = (name: string): Uint8Array => readFileSync(`${examples}${name}`);

/** The course's figures (design: reference figures from the course notebook). */
const VALID = [
  { description: 'the course ConvNet', data: 'convnet.json', params: [42_362] },
  { description: 'ConvNetSmall', data: 'convnet-small.json', params: [5_538] },
  { description: 'ConvNetTiny', data: 'convnet-tiny.json', params: [4_146] },
  { description: "the design's tiny example", data: 'tiny.json', params: [10_362] },
  {
    description: 'the three course nets together',
    data: 'three-experiments.json',
    params: [42_362, 5_538, 4_146],
  },
  {
    description: 'a small ResNet using most layer types',
    data: 'resnet-small.json',
    params: [15_386],
  },
];

/** Each broken example and the error paths it must produce, in order. */
const BROKEN = [
  { data: 'wrong-in-features.json', paths: ['/experiments/0/layers/10'] },
  { data: 'baseline-over-budget.json', paths: ['/experiments/0'] },
  { data: 'unknown-layer-type.json', paths: ['/experiments/0/layers/0'] },
  { data: 'missing-flatten.json', paths: ['/experiments/0/layers/3'] },
  { data: 'final-names-nothing.json', paths: ['/final'] },
  { data: 'duplicate-names.json', paths: ['/experiments/1/name'] },
  {
    data: 'training-out-of-bounds.json',
    paths: [
      '/experiments/0/training/epochs',
      '/experiments/0/training/lr',
      '/experiments/0/training/batch_size',
    ],
  },
  { data: 'same-padding-strided.json', paths: ['/experiments/0/layers/0'] },
  { data: 'residual-shape-mismatch.json', paths: ['/experiments/0/layers/2'] },
  { data: 'wrong-output-size.json', paths: ['/experiments/0/layers'] },
  { data: 'groups-do-not-divide.json', paths: ['/experiments/0/layers/2'] },
  { data: 'pool-padding-too-large.json', paths: ['/experiments/0/layers/2'] },
  {
    data: 'bad-values.json',
    paths: [
      '/experiments/0/layers/0/padding_mode',
      '/experiments/0/layers/0/out_channels',
      '/experiments/0/layers/0/kernel_size',
      '/experiments/0/layers/0/padding',
      '/experiments/0/layers/2/p',
    ],
  },
  { data: 'trailing-comma.json', paths: [''] },
  {
    data: 'proto-key.json',
    paths: ['/experiments/0/constructor', '/experiments/0/layers/0/__proto__'],
  },
];

describe('example submissions in rubric/examples', () => {
  it.each(VALID)(
    '$description ($data) is valid with PyTorch’s parameter counts',
    ({ data, params }) => {
      // Act
      const result = validateSubmission(read(data));
      // Assess
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
      expect(result.experiments.map((e) => e.params)).toEqual(params);
      expect(result.experiments.every((e) => e.outputShape.join() === '10')).toBe(true);
    },
  );

  it('lists every example in the table above', () => {
    // Prepare
    const listed = new Set(VALID.map((v) => v.data));
    const brokenListed = new Set(BROKEN.map((b) => b.data));
    // Assess
    expect(submissionFilesIn(examples).sort()).toEqual([...listed].sort());
    expect(readdirSync(`${examples}broken`).sort()).toEqual([...brokenListed].sort());
  });

  it.each(BROKEN)('broken/$data is refused at $paths', ({ data, paths }) => {
    // Act
    const result = validateSubmission(read(`broken/${data}`));
    // Assess
    expect(result.valid).toBe(false);
    expect(result.errors.map((e) => e.path)).toEqual(paths);
    for (const error of result.errors) expect(error.message.length).toBeGreaterThan(10);
  });

  it('words the in_features mismatch as the issue asks', () => {
    // Act
    const result = validateSubmission(read('broken/wrong-in-features.json'));
    // Assess
    expect(result.errors[0]?.message).toBe(
      'layers/10 (Linear): in_features is 4096 but 256 features arrive (16 channels × 4 × 4 after three MaxPool2d)',
    );
  });

  it('still analyses an over-budget network, so the student sees its count', () => {
    // Act
    const result = validateSubmission(read('broken/baseline-over-budget.json'));
    // Assess
    expect(result.experiments.map((e) => e.params)).toEqual([308_310]);
    expect(result.errors[0]?.message).toContain(
      '308,310 parameters; the budget is strictly fewer than 308,310',
    );
  });

  it('refuses the rubric’s own baseline MLP: the budget is strictly fewer parameters', () => {
    // Prepare
    const baseline = readFileSync(new URL('../../rubric/baseline-mlp.json', import.meta.url));
    // Act
    const result = validateSubmission(baseline);
    // Assess
    expect(result.valid).toBe(false);
    expect(result.experiments[0]?.params).toBe(308_310);
    expect(result.errors.map((e) => e.path)).toEqual(['/experiments/0']);
  });
});
