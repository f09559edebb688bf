import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type BaselineNoise,
  deriveBaselinePolicy,
  deriveReproductionPolicy,
  judgeHonestSeeds,
  parseSeedNoise,
  type ReproductionNoise,
} from '../../src/fairness/index.js';
import { DEFAULT_RUBRIC } from '../../src/rubric/index.js';

const NOISE_FILE = fileURLToPath(new URL('../../rubric/noise/seed-noise.json', import.meta.url));
const measured = existsSync(NOISE_FILE);

function task(number: '3.3' | '4.1') {
  const found = DEFAULT_RUBRIC.tasks.find((t) => t.number === number);
  if (!found) throw new Error(`the rubric has no task ${number}`);
  return found;
}

describe.skipIf(!measured)(
  `the rubric's tolerances come from the stored noise measurements${measured ? '' : ' (skipped: rubric/noise/seed-noise.json does not exist yet; run bench/seed-noise.ts)'}`,
  () => {
    const measurements = () => parseSeedNoise(JSON.parse(readFileSync(NOISE_FILE, 'utf8')));

    it("task 4.1's policy and noise figures are what deriveReproductionPolicy gives", () => {
      // Prepare
      const t = task('4.1');
      const noise = t.noise as ReproductionNoise;
      // Act
      const derived = deriveReproductionPolicy(measurements(), noise.targets, noise.grid);
      const estimate = derived.noise.estimate;
      // Assess
      expect(t.reproduction).toEqual(derived.policy);
      expect(noise.measured).toBe(measurements().measured);
      expect(noise.sigma_student_pp).toBeCloseTo(estimate.studentSd, 3);
      expect(noise.sigma_grader_pp).toBeCloseTo(estimate.graderSd, 3);
      expect(noise.engine_bias_pp).toBeCloseTo(estimate.bias, 3);
      expect(noise.engine_bias_spread_pp).toBeCloseTo(estimate.biasSpread, 3);
      expect(noise.grader_collapse_rate).toBeCloseTo(estimate.collapseRate, 5);
      expect(noise.grader_collapse_depth_pp).toBeCloseTo(derived.noise.collapseDepth, 3);
      expect(noise.confidence).toBe(derived.noise.confidence);
      expect(noise.false_deduction_rate).toBeCloseTo(derived.rates.false_deduction, 5);
      expect(noise.false_deduction_upper).toBeCloseTo(derived.rates.false_deduction_upper, 5);
      expect(noise.detection_rate).toBeCloseTo(derived.rates.detection, 5);
      expect(noise.detection_lower).toBeCloseTo(derived.rates.detection_lower, 5);
      expect(noise.false_deduction_upper).toBeLessThan(noise.targets.max_false_deduction);
    });

    it("task 3.3's re-check is what deriveBaselinePolicy gives", () => {
      // Prepare
      const t = task('3.3');
      const noise = t.noise as BaselineNoise;
      // Act
      const derived = deriveBaselinePolicy(
        measurements(),
        t.comparable_within_pp ?? Number.NaN,
        noise.targets,
        noise.grid,
      );
      // Assess
      expect(t.recheck).toEqual(derived.policy);
      expect(noise.lose_full_at_limit_rate).toBeCloseTo(derived.rates.lose_full_at_limit, 5);
      expect(noise.lose_full_at_limit_upper).toBeCloseTo(derived.rates.lose_full_at_limit_upper, 5);
      expect(noise.lose_full_at_limit_upper).toBeLessThan(noise.targets.max_lose_full_at_limit);
    });

    it('no honest seed in the measurements would lose a point under the rubric', () => {
      // Prepare
      const policy = task('4.1').reproduction;
      if (!policy) throw new Error('task 4.1 has no reproduction policy');
      // Act
      const verdicts = judgeHonestSeeds(measurements(), policy);
      // Assess
      const losing = verdicts
        .filter((v) => !v.judgement.holds)
        .map((v) => `${v.network} seed ${v.seed}: ${v.claimed}% (${v.judgement.outcome})`);
      expect(verdicts.length).toBeGreaterThan(0);
      expect(losing).toEqual([]);
    });
  },
);
