import { describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC } from '../../src/rubric/default-rubric.js';
import type { Rubric } from '../../src/rubric/types.js';
import { type Experiment, resolveTraining, trainingErrors } from '../../src/spec/index.js';

const experiment = (training?: Experiment['training']): Experiment => ({
  name: 'net',
  layers: [{ type: 'Flatten' }, { type: 'Linear', out_features: 10 }],
  training,
});

describe('resolveTraining', () => {
  it("fills in the rubric's defaults and always takes epochs from the rubric", () => {
    // Act
    const resolved = resolveTraining(experiment());
    // Assess
    expect(resolved).toEqual({
      ...DEFAULT_RUBRIC.training.defaults,
      epochs: DEFAULT_RUBRIC.training.epochs,
    });
  });

  it("keeps the student's settings over the defaults", () => {
    // Prepare
    const rubric: Rubric = {
      ...DEFAULT_RUBRIC,
      training: { ...DEFAULT_RUBRIC.training, epochs: 5 },
    };
    // Act
    const resolved = resolveTraining(
      experiment({ optimizer: 'sgd', lr: 0.05, momentum: 0.9 }),
      rubric,
    );
    // Assess
    expect(resolved).toMatchObject({ optimizer: 'sgd', lr: 0.05, momentum: 0.9, epochs: 5 });
    expect(resolved.batch_size).toBe(DEFAULT_RUBRIC.training.defaults.batch_size);
  });
});

/** Settings and the fields the rubric's bounds must flag. */
const SETTINGS = [
  { description: 'the defaults', data: {}, flagged: [] },
  {
    description: 'values on the bounds',
    data: { lr: 1e-5, batch_size: 512, weight_decay: 0.1 },
    flagged: [],
  },
  { description: 'sgd with momentum', data: { optimizer: 'sgd', momentum: 0.99 }, flagged: [] },
  { description: 'lr above the bound', data: { lr: 2 }, flagged: ['lr'] },
  { description: 'a tiny batch', data: { batch_size: 4 }, flagged: ['batch_size'] },
  {
    description: 'momentum with adamw',
    data: { optimizer: 'adamw', momentum: 0.5 },
    flagged: ['momentum'],
  },
  { description: 'too much weight decay', data: { weight_decay: 0.5 }, flagged: ['weight_decay'] },
] as const;

describe('trainingErrors', () => {
  it.each(SETTINGS)('flags $flagged for $description', ({ data, flagged }) => {
    // Act
    const errors = trainingErrors(data, '/experiments/0/training');
    // Assess
    expect(errors.map((e) => e.path)).toEqual(flagged.map((f) => `/experiments/0/training/${f}`));
  });

  it('refuses an optimizer the rubric has switched off', () => {
    // Prepare
    const rubric: Rubric = {
      ...DEFAULT_RUBRIC,
      training: { ...DEFAULT_RUBRIC.training, optimizers: ['adam'] },
    };
    // Act
    const errors = trainingErrors({ optimizer: 'sgd' }, '/t', rubric);
    // Assess
    expect(errors).toEqual([
      {
        path: '/t/optimizer',
        message: 'training: optimizer "sgd" is not one this rubric allows ("adam")',
      },
    ]);
  });
});
