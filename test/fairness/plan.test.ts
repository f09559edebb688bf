import { describe, expect, it } from 'vitest';
import { planRechecks } from '../../src/fairness/index.js';
import {
  CONVNET_LAYERS,
  CONVNET_PARAMS,
  checkInput,
  REFERENCE_BASELINE,
  SINGLE_CONV_LAYERS,
  SINGLE_CONV_PARAMS,
} from '../fixtures/grade/check-inputs.js';
import { FIXED_POLICY_RUBRIC } from '../fixtures/rubric/fixed-policy-rubric.js';

const convnet = {
  name: 'convnet',
  layers: CONVNET_LAYERS,
  params: CONVNET_PARAMS,
  reported: { params: CONVNET_PARAMS, test_accuracy: 56 },
  measured: { test_accuracy: 55 },
};
const small = {
  name: 'small',
  layers: SINGLE_CONV_LAYERS,
  params: SINGLE_CONV_PARAMS,
  reported: { params: SINGLE_CONV_PARAMS, test_accuracy: 47 },
  measured: { test_accuracy: 43.5 },
};

describe('planning re-checks', () => {
  it('names only the borderline claim, with the next seeds and the reason', () => {
    // Prepare
    const input = checkInput([convnet, small]);
    // Act
    const plans = planRechecks({
      rubric: FIXED_POLICY_RUBRIC,
      experiments: input.experiments,
      baseline: REFERENCE_BASELINE,
      seed: 42,
    });
    // Assess
    expect(plans).toEqual([
      expect.objectContaining({ index: 1, name: 'small', seeds: [43, 44], tasks: ['4.1'] }),
    ]);
    expect(plans[0]?.reason).toContain('3.50 pp apart, more than 3.00 pp but within 5.00 pp');
  });

  it('spends nothing on claims when too few experiments report figures for 4.1 to score', () => {
    // Prepare: one experiment cannot earn 4.1 whatever its claim.
    const input = checkInput([{ ...small, name: 'only' }]);
    // Act
    const plans = planRechecks({
      rubric: FIXED_POLICY_RUBRIC,
      experiments: input.experiments,
      baseline: REFERENCE_BASELINE,
      seed: 42,
    });
    // Assess
    expect(plans).toEqual([]);
  });

  it('asks once for an experiment both tasks find borderline, with the larger re-check', () => {
    // Prepare: the final network is 2.5 pp under the baseline and 3.5 pp off its claim.
    const final = {
      ...convnet,
      reported: { params: CONVNET_PARAMS, test_accuracy: 43.17 },
      measured: { test_accuracy: 39.67 },
    };
    const input = checkInput([final, { ...small, measured: { test_accuracy: 47 } }]);
    // Act
    const plans = planRechecks({
      rubric: FIXED_POLICY_RUBRIC,
      experiments: input.experiments,
      baseline: REFERENCE_BASELINE,
      seed: 7,
    });
    // Assess
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ name: 'convnet', tasks: ['3.3', '4.1'], seeds: [8, 9] });
  });
});
