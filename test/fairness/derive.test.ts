import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GRID,
  DEFAULT_REPRODUCTION_TARGETS,
  DEFAULT_UNCERTAINTY,
  deriveBaselinePolicy,
  deriveReproductionPolicy,
  estimateModelOf,
  falseDeductionBoundBelow,
  judgeHonestSeeds,
  limitingTerms,
  measuredUnderClaim,
  NoFairPolicyError,
  NoiseMeasurementsError,
  noiseModelOf,
  noiseUncertainty,
  parseSeedNoise,
  reproductionRates,
  sampleSd,
  sdUpperBound,
  summarizeNoise,
  withDerivedTolerances,
} from '../../src/fairness/index.js';
import { DEFAULT_RUBRIC } from '../../src/rubric/index.js';
import { syntheticSeedNoise, TEST_UNCERTAINTY } from '../fixtures/fairness/synthetic-seed-noise.js';

const onGrid = (x: number) =>
  Math.abs(x / DEFAULT_GRID.step_pp - Math.round(x / DEFAULT_GRID.step_pp)) < 1e-9;

describe('summarizing seed noise', () => {
  it('pools the sds over networks with Σ(n−1) df and bounds them from above', () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    const student = measurements.networks.map((n) => n.student.map((r) => r.test_accuracy));
    const grader = measurements.networks.map((n) => n.grader.map((r) => r.test_accuracy));
    const pooled = (groups: number[][]) =>
      Math.sqrt(
        groups.reduce((s, g) => s + (g.length - 1) * sampleSd(g) ** 2, 0) /
          groups.reduce((s, g) => s + g.length - 1, 0),
      );
    // Act
    const summary = summarizeNoise(measurements);
    // Assess: normal draws have no collapses, so the body is every run.
    expect(summary.student.collapsed).toBe(0);
    expect(summary.grader.collapsed).toBe(0);
    expect(summary.student.df).toBe(measurements.networks.length * 7);
    expect(summary.student.body_sd).toBeCloseTo(pooled(student), 10);
    expect(summary.sigmaGrader).toBeCloseTo(sdUpperBound(pooled(grader), summary.grader.df), 10);
    expect(summary.sigmaStudent).toBeGreaterThan(summary.student.body_sd);
  });

  it('estimates the engine bias over networks as a common shift plus a spread', () => {
    // Prepare: every network's grader runs 1 pp above its student runs, then one network 4 pp.
    const common = syntheticSeedNoise({ seeds: 12, studentSd: 1, graderSd: 1 });
    for (const n of common.networks) {
      n.grader = n.student.map((r) => ({ seed: r.seed, test_accuracy: r.test_accuracy + 1 }));
    }
    const varied = structuredClone(common);
    for (const r of varied.networks[0]?.grader ?? []) r.test_accuracy += 3;
    // Act
    const same = summarizeNoise(common).biasSpread;
    const apart = summarizeNoise(varied).biasSpread;
    // Assess: a shift every network shares is μ_b, with no spread; one network apart is τ.
    expect(same.mean).toBeCloseTo(1, 6);
    expect(same.spread_upper).toBe(0);
    expect(apart.spread_upper).toBeGreaterThan(1);
    expect(apart.mean).toBeGreaterThan(1);
  });

  it('the bias spread widens the noise model for a network the measurements did not include', () => {
    // Prepare
    const noise = noiseUncertainty(syntheticSeedNoise(), { ...DEFAULT_UNCERTAINTY, draws: 10 });
    const terms = { ...noise.estimate, biasSpread: 2, bias: -0.7 };
    // Act
    const model = noiseModelOf(terms, noise.collapseDepth);
    // Assess: σ_T² + τ², and μ_b stays a fixed bias with its sign
    expect(model.sigmaStudent).toBeCloseTo(Math.sqrt(terms.studentSd ** 2 + 4), 10);
    expect(model.bias).toBe(-0.7);
    expect(model.sigmaGrader).toBe(terms.graderSd);
  });

  it('a run that collapsed with its seed widens the under-claim side, not σ', () => {
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
    // Assess: the sample sd jumps; the run is counted as a collapse and left out of the body.
    expect(after.student.sd).toBeGreaterThan(before.student.sd * 1.5);
    expect(after.student.collapsed).toBe(1);
    expect(after.networks[0]?.student.collapsed).toBe(1);
    expect(after.student.df).toBe(before.student.df - 1);
    expect(after.sigmaStudent).toBeLessThan(before.sigmaStudent * 1.25);
    const highestGrader = Math.max(
      ...(collapsed.networks[0]?.grader ?? []).map((r) => r.test_accuracy),
    );
    expect(underAfter).toBeGreaterThanOrEqual(highestGrader - run.test_accuracy);
    expect(underAfter).toBeGreaterThan(underBefore);
    expect(underAfter % 0.5).toBe(0);
  });

  it("a grader run that collapsed enters the model as the first run's collapse rate and depth", () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    const collapsed = structuredClone(measurements);
    const network = collapsed.networks[1];
    const run = network?.grader[3];
    if (!network || !run) throw new Error('the synthetic fixture has too few runs');
    run.test_accuracy -= 8;
    // Act
    const clean = noiseUncertainty(measurements, { ...DEFAULT_UNCERTAINTY, draws: 10 });
    const noise = noiseUncertainty(collapsed, { ...DEFAULT_UNCERTAINTY, draws: 10 });
    const summary = summarizeNoise(collapsed);
    const model = estimateModelOf(noise);
    // Assess
    expect(estimateModelOf(clean).firstRunCollapse).toBeUndefined();
    expect(summary.grader.collapsed).toBe(1);
    expect(model.firstRunCollapse?.depth).toBeCloseTo(
      (summary.networks[1]?.grader.body_mean ?? 0) - run.test_accuracy,
      10,
    );
    expect(model.firstRunCollapse?.rate).toBeCloseTo(1 / (collapsed.networks.length * 8), 10);
    expect(noise.draws.every((t) => t.collapseRate > 0)).toBe(true);
  });

  it("the policies' re-checks leave out what the measurements call a collapse, on the grid", () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    const limit = summarizeNoise(measurements).grader.collapse_limit;
    // Act
    const reproduction = deriveReproductionPolicy(
      measurements,
      undefined,
      undefined,
      TEST_UNCERTAINTY,
    );
    const baseline = deriveBaselinePolicy(measurements, 2, undefined, undefined, TEST_UNCERTAINTY);
    // Assess
    const onGridAbove = Math.ceil(limit / 0.5) * 0.5;
    expect(reproduction.policy.collapse_below_median_pp).toBe(onGridAbove);
    expect(baseline.policy.collapse_below_median_pp).toBe(onGridAbove);
    expect(onGridAbove).toBeGreaterThanOrEqual(limit);
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
const DERIVED = deriveReproductionPolicy(
  syntheticSeedNoise(),
  undefined,
  undefined,
  TEST_UNCERTAINTY,
);

describe('deriving task 4.1 tolerances', () => {
  it('meets the targets on the grid and is the same every time', () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    // Act
    const first = DERIVED;
    const again = deriveReproductionPolicy(measurements, undefined, undefined, TEST_UNCERTAINTY);
    // Assess
    expect(again.policy).toEqual(first.policy);
    expect(first.rates.false_deduction_upper).toBeLessThan(0.01);
    expect(first.rates.false_deduction).toBeLessThanOrEqual(first.rates.false_deduction_upper);
    expect(first.rates.expected_extra_runs).toBeLessThanOrEqual(0.5);
    expect(Object.values(first.policy).every(onGrid)).toBe(true);
    expect([2, 3, 4]).toContain(first.policy.recheck_runs);
    expect(first.policy.recheck_within_pp).toBeGreaterThanOrEqual(first.policy.pass_within_pp);
  });

  it('no fair policy detects more: a stricter mean or pass tolerance would deduct honest claims', () => {
    // Prepare
    const derived = DERIVED;
    const stricter = { ...derived.policy, mean_within_pp: derived.policy.mean_within_pp - 0.5 };
    const tighterPass = { ...derived.policy, pass_within_pp: derived.policy.pass_within_pp - 0.5 };
    const estimate = estimateModelOf(derived.noise);
    // Act
    const verdicts = [stricter, tighterPass].map((policy) => ({
      fair: falseDeductionBoundBelow(policy, derived.noise, 0.01),
      runs: reproductionRates(policy, estimate, 5).expected_extra_runs,
    }));
    // Assess: each either breaks the 1% target at the bound or spends more re-check runs than allowed.
    for (const verdict of verdicts) {
      expect(!verdict.fair || verdict.runs > 0.5).toBe(true);
    }
    expect(falseDeductionBoundBelow(derived.policy, derived.noise, 0.01)).toBe(true);
  });

  it('says so, with the lowest rate reached, when the noise is too large for any policy', () => {
    // Prepare
    const noisy = syntheticSeedNoise({ studentSd: 6, graderSd: 6 });
    // Act
    const derive = () => deriveReproductionPolicy(noisy, undefined, undefined, TEST_UNCERTAINTY);
    // Assess
    expect(derive).toThrow(NoFairPolicyError);
    expect(derive).toThrow(
      /no task 4\.1 policy .* below 1\.00% \(at 95\.00% confidence\).*the lowest reached is \d+\.\d+%/,
    );
  });
});

describe('what limits task 4.1', () => {
  it('starts from the derived policy, and each easing of the noise detects at least as much', () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    const derived = DERIVED;
    // Act
    const terms = limitingTerms(
      derived.noise,
      measuredUnderClaim(measurements, DEFAULT_GRID.step_pp),
      DEFAULT_REPRODUCTION_TARGETS,
      DEFAULT_GRID,
    );
    // Assess
    const detection = (change: RegExp) =>
      terms.find((t) => change.test(t.change))?.rates?.detection ?? Number.NaN;
    expect(terms[0]?.rates).toEqual(derived.rates);
    expect(detection(/budget halved/)).toBeLessThanOrEqual(derived.rates.detection);
    expect(detection(/known bias \(τ = 0\)/)).toBeGreaterThanOrEqual(derived.rates.detection);
    expect(detection(/mean of 5/)).toBeGreaterThanOrEqual(detection(/mean of 3/));
    expect(detection(/mean of 3/)).toBeGreaterThan(derived.rates.detection);
  });
});

describe('deriving task 3.3 re-check', () => {
  it('protects a network at the comparable limit and re-checks with a whole number of runs', () => {
    // Act
    const derived = deriveBaselinePolicy(
      syntheticSeedNoise(),
      2,
      undefined,
      undefined,
      TEST_UNCERTAINTY,
    );
    // Assess
    expect(derived.rates.lose_full_at_limit_upper).toBeLessThan(0.01);
    expect(derived.rates.lose_full_at_limit).toBeLessThanOrEqual(
      derived.rates.lose_full_at_limit_upper,
    );
    expect(derived.policy.recheck_beyond_pp).toBeGreaterThan(0);
    expect(Object.values(derived.policy).every(onGrid)).toBe(true);
  });
});

describe('writing derived tolerances into the rubric', () => {
  it('puts the policies and noise figures where the rubric test reads them, and honest seeds hold', () => {
    // Prepare
    const measurements = syntheticSeedNoise();
    const reproduction = DERIVED;
    const baseline = deriveBaselinePolicy(measurements, 2, undefined, undefined, TEST_UNCERTAINTY);
    const rubric = structuredClone(DEFAULT_RUBRIC) as unknown as Parameters<
      typeof withDerivedTolerances
    >[0];
    // Act
    const updated = withDerivedTolerances(rubric, measurements, reproduction, baseline);
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
