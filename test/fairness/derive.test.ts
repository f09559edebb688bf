import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GRID,
  deriveBaselinePolicy,
  deriveReproductionPolicy,
  judgeHonestSeeds,
  MAD_EFFICIENCY,
  measuredUnderClaim,
  median,
  NoFairPolicyError,
  NoiseMeasurementsError,
  parseSeedNoise,
  reproductionRates,
  robustSd,
  sampleSd,
  sdUpperBound,
  summarizeNoise,
  withDerivedTolerances,
} from '../../src/fairness/index.js';
import { DEFAULT_RUBRIC } from '../../src/rubric/index.js';
import { syntheticSeedNoise } from '../fixtures/fairness/synthetic-seed-noise.js';

const onGrid = (x: number) =>
  Math.abs(x / DEFAULT_GRID.step_pp - Math.round(x / DEFAULT_GRID.step_pp)) < 1e-9;

describe('summarizing seed noise', () => {
  it('pools variances over networks with Σ(n−1) df and takes the largest difference of medians', () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    const student = measurements.networks.map((n) => n.student.map((r) => r.test_accuracy));
    const grader = measurements.networks.map((n) => n.grader.map((r) => r.test_accuracy));
    const pooled = (groups: number[][], sd: (g: number[]) => number = sampleSd) =>
      Math.sqrt(
        groups.reduce((s, g) => s + (g.length - 1) * sd(g) ** 2, 0) /
          groups.reduce((s, g) => s + g.length - 1, 0),
      );
    // Act
    const summary = summarizeNoise(measurements);
    // Assess
    expect(summary.student.df).toBe(16);
    expect(summary.student.sd).toBeCloseTo(pooled(student), 10);
    expect(summary.sigmaGrader).toBeCloseTo(
      sdUpperBound(pooled(grader, robustSd), MAD_EFFICIENCY * 16),
      10,
    );
    const differences = student.map((s, i) => Math.abs(median(grader[i] as number[]) - median(s)));
    expect(summary.bias).toBeCloseTo(Math.max(...differences), 10);
  });

  it('a run that collapsed with its seed widens the under-claim side, not σ or the bias', () => {
    // Prepare: one student run 15 points below its network's others, as a BatchNorm run can be.
    const measurements = syntheticSeedNoise();
    const collapsed = structuredClone(measurements);
    const run = collapsed.networks[0]?.student[0];
    if (!run) throw new Error('the synthetic fixture has no student run');
    run.test_accuracy -= 15;
    // Act
    const before = summarizeNoise(measurements);
    const after = summarizeNoise(collapsed);
    const underBefore = measuredUnderClaim(measurements, 0.5);
    const underAfter = measuredUnderClaim(collapsed, 0.5);
    // Assess: the sample sd jumps, the robust figures barely move; the under side covers the run.
    expect(after.student.sd).toBeGreaterThan(before.student.sd * 1.5);
    expect(after.sigmaStudent).toBeLessThan(before.sigmaStudent * 1.25);
    expect(Math.abs(after.bias - before.bias)).toBeLessThan(1);
    const highestGrader = Math.max(
      ...(collapsed.networks[0]?.grader ?? []).map((r) => r.test_accuracy),
    );
    expect(underAfter).toBeGreaterThanOrEqual(highestGrader - run.test_accuracy);
    expect(underAfter).toBeGreaterThan(underBefore);
    expect(underAfter % 0.5).toBe(0);
  });

  it('names the field that is wrong in a malformed measurement file', () => {
    // Prepare
    const broken = structuredClone(syntheticSeedNoise()) as unknown as {
      networks: Array<{ grader: Array<{ test_accuracy: unknown }> }>;
    };
    (broken.networks[1]?.grader[2] as { test_accuracy: unknown }).test_accuracy = '48%';
    // Act
    const parse = () => parseSeedNoise(broken);
    // Assess
    expect(parse).toThrow(NoiseMeasurementsError);
    expect(parse).toThrow('/networks/1/grader/2/test_accuracy: expected a finite number');
  });
});

/** Derived once: the grid search takes a moment. */
const DERIVED = deriveReproductionPolicy(syntheticSeedNoise());

describe('deriving task 4.1 tolerances', () => {
  it('meets the targets on the grid and is the same every time', () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    // Act
    const first = DERIVED;
    const again = deriveReproductionPolicy(measurements);
    // Assess
    expect(again.policy).toEqual(first.policy);
    expect(first.rates.false_deduction).toBeLessThan(0.01);
    expect(first.rates.expected_extra_runs).toBeLessThanOrEqual(0.5);
    expect(Object.values(first.policy).every(onGrid)).toBe(true);
    expect([2, 3, 4]).toContain(first.policy.recheck_runs);
    expect(first.policy.recheck_within_pp).toBeGreaterThanOrEqual(first.policy.pass_within_pp);
  });

  it('no fair policy detects more: a stricter mean tolerance would deduct honest claims', () => {
    // Prepare
    const derived = DERIVED;
    const stricter = { ...derived.policy, mean_within_pp: derived.policy.mean_within_pp - 0.5 };
    const tighterPass = { ...derived.policy, pass_within_pp: derived.policy.pass_within_pp - 0.5 };
    // Act
    const strictRates = reproductionRates(stricter, derived.noise, 5);
    const tightRates = reproductionRates(tighterPass, derived.noise, 5);
    // Assess: each either breaks the 1% target or spends more re-check runs than allowed.
    for (const rates of [strictRates, tightRates]) {
      expect(rates.false_deduction >= 0.01 || rates.expected_extra_runs > 0.5).toBe(true);
    }
  });

  it('says so, with the lowest rate reached, when the noise is too large for any policy', () => {
    // Prepare
    const noisy = syntheticSeedNoise({ studentSd: 6, graderSd: 6 });
    // Act
    const derive = () => deriveReproductionPolicy(noisy);
    // Assess
    expect(derive).toThrow(NoFairPolicyError);
    expect(derive).toThrow(/no task 4\.1 policy .* below 1\.00%.*the lowest reached is \d+\.\d+%/);
  });
});

describe('deriving task 3.3 re-check', () => {
  it('protects a network at the comparable limit and re-checks with a whole number of runs', () => {
    // Act
    const derived = deriveBaselinePolicy(syntheticSeedNoise(), 2);
    // Assess
    expect(derived.rates.lose_full_at_limit).toBeLessThan(0.01);
    expect(derived.policy.recheck_beyond_pp).toBeGreaterThan(0);
    expect(Object.values(derived.policy).every(onGrid)).toBe(true);
  });
});

describe('writing derived tolerances into the rubric', () => {
  it('puts the policies and noise figures where the rubric test reads them, and honest seeds hold', () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    const summary = summarizeNoise(measurements);
    const reproduction = DERIVED;
    const baseline = deriveBaselinePolicy(measurements, 2);
    const rubric = structuredClone(DEFAULT_RUBRIC) as unknown as Parameters<
      typeof withDerivedTolerances
    >[0];
    // Act
    const updated = withDerivedTolerances(rubric, measurements, summary, reproduction, baseline);
    // Assess
    const t41 = updated.tasks.find((t) => t.number === '4.1');
    const t33 = updated.tasks.find((t) => t.number === '3.3');
    expect(t41?.reproduction).toEqual(reproduction.policy);
    expect(t41?.noise).toMatchObject({ measured: 'synthetic', source: 'noise/seed-noise.json' });
    expect(t33?.recheck).toEqual(baseline.policy);
    expect(updated.tasks.find((t) => t.number === '3.1')).toEqual(
      rubric.tasks.find((t) => t.number === '3.1'),
    );
    const losing = judgeHonestSeeds(measurements, reproduction.policy).filter(
      (v) => !v.judgement.holds,
    );
    expect(losing).toEqual([]);
  });
});
