import { describe, expect, it } from 'vitest';
import {
  type BaselineRecheckPolicy,
  baselineRates,
  claimProbabilitiesWithCollapse,
  deriveBaselinePolicy,
  deriveReproductionPolicy,
  estimateModelOf,
  formatReproduced,
  honestClaimRates,
  judgeBaseline,
  judgeClaim,
  type NoiseModel,
  noiseModelOf,
  type ReproductionPolicy,
  reproductionRates,
} from '../../src/fairness/index.js';
import {
  seededNormal,
  seededRandom,
  syntheticSeedNoise,
  TEST_UNCERTAINTY,
} from '../fixtures/fairness/synthetic-seed-noise.js';

const STUDENTS = 20_000;
/** Four standard errors of a rate estimated from STUDENTS draws, plus integration slack. */
const tolerance = (p: number) => 4 * Math.sqrt((p * (1 - p)) / STUDENTS) + 1e-4;

const MEASUREMENTS = syntheticSeedNoise();
const DERIVED = deriveReproductionPolicy(MEASUREMENTS, undefined, undefined, TEST_UNCERTAINTY);

/**
 * Simulated grading of claims C = R + offset, R ~ N(μ, σ_T²), grader runs ~ N(μ + bias, σ_G²),
 * the first lowered by the model's collapse depth at its rate.
 */
function simulateClaims(
  policy: ReproductionPolicy,
  noise: NoiseModel,
  offset: number,
  seed: number,
): { holds: number; rechecked: number } {
  const z = seededNormal(seed);
  const uniform = seededRandom(seed + 1);
  const collapse = noise.firstRunCollapse;
  const mu = 50;
  let holds = 0;
  let rechecked = 0;
  for (let i = 0; i < STUDENTS; i += 1) {
    const claimed = mu + noise.sigmaStudent * z() + offset;
    const runs = Array.from({ length: policy.recheck_runs + 1 }, (_, k) => ({
      seed: 42 + k,
      test_accuracy: mu + noise.bias + noise.sigmaGrader * z(),
    }));
    const [first, ...rest] = runs as [(typeof runs)[number], ...typeof runs];
    if (collapse !== undefined && uniform() < collapse.rate) first.test_accuracy -= collapse.depth;
    const judgement = judgeClaim(claimed, first, rest, policy);
    if (judgement.holds) holds += 1;
    if (judgement.outcome === 'rechecked') rechecked += 1;
  }
  return { holds: holds / STUDENTS, rechecked: rechecked / STUDENTS };
}

describe('task 4.1 verdicts on seeded synthetic students', () => {
  const estimate = estimateModelOf(DERIVED.noise);
  // The plausible noise at the bound: the draw whose false-deduction rate is the 95th percentile.
  const drawn = DERIVED.noise.draws
    .map((terms) => noiseModelOf(terms, DERIVED.noise.collapseDepth))
    .map((model) => ({ model, rate: honestClaimRates(DERIVED.policy, model).false_deduction }))
    .sort((a, b) => a.rate - b.rate);
  const atBound = drawn[Math.ceil(0.95 * drawn.length) - 1]?.model as NoiseModel;
  const cases = [
    ['the estimates', estimate],
    ['the noisiest 5% of what the measurements allow', atBound],
  ] as const;

  it.each(cases)(
    'honest claims under %s hold at least 99% of the time, as the formula says',
    (_, noise) => {
      // Prepare
      const exact = reproductionRates(DERIVED.policy, noise, 5);
      // Act
      const simulated = simulateClaims(DERIVED.policy, noise, 0, 11);
      // Assess
      expect(simulated.holds).toBeGreaterThanOrEqual(0.99 - tolerance(0.01));
      expect(exact.false_deduction).toBeLessThanOrEqual(DERIVED.rates.false_deduction_upper);
      expect(Math.abs(1 - simulated.holds - exact.false_deduction)).toBeLessThan(
        tolerance(exact.false_deduction),
      );
      expect(simulated.rechecked * DERIVED.policy.recheck_runs).toBeLessThanOrEqual(
        exact.expected_extra_runs + DERIVED.policy.recheck_runs * tolerance(0.5),
      );
    },
  );

  it('a claim 5 pp above the run is caught at the computed rate', () => {
    // Prepare
    const policy = DERIVED.policy;
    // Act
    const simulated = simulateClaims(policy, estimate, 5, 23);
    // Assess
    const caught = 1 - simulated.holds;
    expect(Math.abs(caught - DERIVED.rates.detection)).toBeLessThan(
      tolerance(DERIVED.rates.detection),
    );
    expect(DERIVED.rates.detection_lower).toBeLessThanOrEqual(DERIVED.rates.detection);
  });

  it('the Monte Carlo false-deduction rate agrees with the exact formula for a wide re-check band', () => {
    // Prepare: a policy that re-checks often, so the integral carries most of the rate.
    const policy: ReproductionPolicy = {
      pass_within_pp: 1,
      recheck_within_pp: 6,
      recheck_runs: 2,
      mean_within_pp: 2.5,
      // As wide as the pass tolerance: both sides re-check alike.
      under_claim_within_pp: 1,
    };
    const noise: NoiseModel = { sigmaStudent: 1.5, sigmaGrader: 1.8, bias: 1 };
    // Act
    const simulated = simulateClaims(policy, noise, 0, 5);
    // Assess
    const exact = 1 - oneSidedDetection(policy, noise, 0);
    expect(Math.abs(simulated.holds - exact)).toBeLessThan(tolerance(exact));
    expect(simulated.rechecked).toBeGreaterThan(0.5);
  });
});

describe("task 4.1 with the grader's first run collapsing", () => {
  const policy: ReproductionPolicy = {
    pass_within_pp: 3,
    recheck_within_pp: 8,
    recheck_runs: 3,
    mean_within_pp: 3.5,
    under_claim_within_pp: 15,
  };
  const steady: NoiseModel = { sigmaStudent: 1.2, sigmaGrader: 1.5, bias: 0.5 };
  // Far more often than measured, so the mixture's share is well above sampling error.
  const collapsing: NoiseModel = { ...steady, firstRunCollapse: { rate: 0.25, depth: 5 } };

  it.each([
    ['honest', 0],
    ['5 pp above', 5],
  ])('%s claims: the Monte Carlo rate agrees with the mixture formula', (_, offset) => {
    // Prepare
    const exact = 1 - oneSidedDetection(policy, collapsing, offset);
    // Act
    const simulated = simulateClaims(policy, collapsing, offset, 31);
    // Assess
    expect(Math.abs(simulated.holds - exact)).toBeLessThan(tolerance(exact));
  });

  it('a re-check that leaves out a collapsed run spares honest claims, and the formula agrees', () => {
    // Prepare: collapses as deep as the measured ones (8.66 pp), well past the limit.
    const deep: NoiseModel = { ...steady, firstRunCollapse: { rate: 0.25, depth: 9 } };
    const wide: ReproductionPolicy = { ...policy, recheck_within_pp: 15 };
    const leaving: ReproductionPolicy = { ...wide, collapse_below_median_pp: 4.5 };
    // Act
    const counted = simulateClaims(wide, deep, 0, 37);
    const leftOut = simulateClaims(leaving, deep, 0, 37);
    // Assess
    const exact = 1 - oneSidedDetection(leaving, deep, 0);
    expect(Math.abs(leftOut.holds - exact)).toBeLessThan(tolerance(exact));
    expect(1 - leftOut.holds).toBeLessThan((1 - counted.holds) / 2);
    expect(oneSidedDetection(leaving, deep, 0)).toBeLessThan(oneSidedDetection(wide, deep, 0) / 3);
  });

  it('collapses cost honest claims more than steady runs do, and the rates count it', () => {
    // Act
    const withCollapse = reproductionRates(policy, collapsing, 5);
    const without = reproductionRates(policy, steady, 5);
    // Assess
    expect(withCollapse.false_deduction).toBeGreaterThan(without.false_deduction);
    expect(withCollapse.expected_extra_runs).toBeGreaterThan(without.expected_extra_runs);
  });
});

/** 1 − P(hold) for one offset, by the exact formula. */
function oneSidedDetection(policy: ReproductionPolicy, noise: NoiseModel, offset: number): number {
  return 1 - claimProbabilitiesWithCollapse(policy, noise, offset).holds;
}

describe('task 3.3 re-check on seeded synthetic networks', () => {
  const comparable = 2;
  const derived = deriveBaselinePolicy(
    MEASUREMENTS,
    comparable,
    undefined,
    undefined,
    TEST_UNCERTAINTY,
  );
  const sigmaGrader = derived.noise.estimate.graderSd;

  function simulateFull(
    policy: BaselineRecheckPolicy,
    meanGap: number,
    seed: number,
    collapse?: { rate: number; depth: number },
  ): number {
    const z = seededNormal(seed);
    const uniform = seededRandom(seed + 1);
    const baseline = 42;
    let full = 0;
    for (let i = 0; i < STUDENTS; i += 1) {
      const runs = Array.from({ length: policy.recheck_runs + 1 }, (_, k) => ({
        seed: 42 + k,
        test_accuracy: baseline - meanGap + sigmaGrader * z(),
      }));
      const [first, ...rest] = runs as [(typeof runs)[number], ...typeof runs];
      if (collapse !== undefined && uniform() < collapse.rate)
        first.test_accuracy -= collapse.depth;
      const j = judgeBaseline(
        baseline,
        first,
        rest,
        { comparable_within_pp: comparable, partial_within_pp: 5 },
        policy,
      );
      if (j.level === 'full') full += 1;
    }
    return full / STUDENTS;
  }

  it('a network exactly at the comparable limit keeps full marks at least 99% of the time', () => {
    // Prepare
    const exact = baselineRates(derived.policy, comparable, sigmaGrader, 5);
    // Act
    const full = simulateFull(derived.policy, comparable, 3);
    // Assess
    expect(exact.lose_full_at_limit).toBeLessThan(0.01);
    expect(Math.abs(1 - full - exact.lose_full_at_limit)).toBeLessThan(
      tolerance(exact.lose_full_at_limit),
    );
  });

  it('a network 5 pp below the limit gets full marks at the computed rate', () => {
    // Prepare
    const exact = baselineRates(derived.policy, comparable, sigmaGrader, 5);
    // Act
    const full = simulateFull(derived.policy, comparable + 5, 4);
    // Assess
    expect(Math.abs(full - exact.full_when_below)).toBeLessThan(tolerance(exact.full_when_below));
  });

  it('a collapsed first run left out of the mean keeps a network at the limit at full marks', () => {
    // Prepare: the derived policy leaves out a run 4.5 pp or more below the runs' median.
    const collapse = { rate: 0.25, depth: 9 };
    const exact = baselineRates(derived.policy, comparable, sigmaGrader, 5, collapse);
    const counted = baselineRates(
      { ...derived.policy, collapse_below_median_pp: undefined },
      comparable,
      sigmaGrader,
      5,
      collapse,
    );
    // Act
    const full = simulateFull(derived.policy, comparable, 8, collapse);
    // Assess
    expect(derived.policy.collapse_below_median_pp).toBeGreaterThan(0);
    expect(Math.abs(1 - full - exact.lose_full_at_limit)).toBeLessThan(
      tolerance(exact.lose_full_at_limit),
    );
    expect(exact.lose_full_at_limit).toBeLessThan(counted.lose_full_at_limit);
  });

  it('without a re-check a network at the limit would lose full marks half the time', () => {
    // Prepare
    const none: BaselineRecheckPolicy = {
      recheck_beyond_pp: 0,
      recheck_runs: 2,
      mean_margin_pp: 0,
    };
    // Act
    const full = simulateFull(none, comparable, 6);
    // Assess
    expect(Math.abs(full - 0.5)).toBeLessThan(tolerance(0.5));
  });
});

describe('judging one claim', () => {
  const policy: ReproductionPolicy = {
    pass_within_pp: 3,
    recheck_within_pp: 5,
    recheck_runs: 2,
    mean_within_pp: 3,
    under_claim_within_pp: 3,
  };
  const first = { seed: 42, test_accuracy: 41.2 };

  it('a claim below the first run holds down to the under-claim tolerance, with no re-check', () => {
    // Prepare: a student's run that collapsed with its seed, as BatchNorm networks' runs do.
    const wide = { ...policy, under_claim_within_pp: 16 };
    // Act
    const collapsed = judgeClaim(41.2 - 15.5, first, null, wide);
    const tooLow = judgeClaim(41.2 - 16.5, first, null, wide);
    const over = judgeClaim(41.2 + 5.5, first, null, wide);
    // Assess
    expect(collapsed).toMatchObject({ holds: true, outcome: 'within' });
    expect(tooLow).toMatchObject({ holds: false, outcome: 'beyond' });
    expect(over).toMatchObject({ holds: false, outcome: 'beyond' });
  });

  it('a borderline claim holds when the mean of the re-check is close enough', () => {
    // Act
    const j = judgeClaim(
      45,
      first,
      [
        { seed: 43, test_accuracy: 43.9 },
        { seed: 44, test_accuracy: 43.3 },
      ],
      policy,
    );
    // Assess
    expect(j).toMatchObject({ holds: true, outcome: 'rechecked' });
    expect(j.reproduced?.seeds).toEqual([42, 43, 44]);
    expect(j.meanGap).toBeCloseTo(2.2, 10);
  });

  it('a borderline claim without its re-check runs, or with a failed one, falls back to the first run', () => {
    // Act
    const missing = judgeClaim(45, first, null, policy);
    const failed = judgeClaim(
      45,
      first,
      [
        { seed: 43, test_accuracy: 44 },
        { seed: 44, test_accuracy: null },
      ],
      policy,
    );
    // Assess
    expect(missing).toMatchObject({ holds: false, outcome: 'not-rechecked' });
    expect(failed).toMatchObject({ holds: false, outcome: 'recheck-failed', failedSeed: 44 });
  });

  it('a claim past the re-check band fails at once, whatever more runs say', () => {
    // Act
    const j = judgeClaim(
      47,
      first,
      [
        { seed: 43, test_accuracy: 47 },
        { seed: 44, test_accuracy: 47 },
      ],
      policy,
    );
    // Assess
    expect(j).toMatchObject({ holds: false, outcome: 'beyond' });
  });

  it('a re-check leaves a collapsed run out of the mean and says so', () => {
    // Prepare: the first run collapsed; the re-check runs agree with the claim.
    const leaving = {
      ...policy,
      recheck_within_pp: 12,
      mean_within_pp: 2,
      collapse_below_median_pp: 4.5,
    };
    const recheck = [
      { seed: 43, test_accuracy: 48.9 },
      { seed: 44, test_accuracy: 49.5 },
    ];
    // Act
    const j = judgeClaim(49, { seed: 42, test_accuracy: 40.1 }, recheck, leaving);
    const counted = judgeClaim(49, { seed: 42, test_accuracy: 40.1 }, recheck, {
      ...leaving,
      collapse_below_median_pp: undefined,
    });
    // Assess
    expect(j).toMatchObject({ holds: true, outcome: 'rechecked' });
    expect(j.reproduced?.seeds).toEqual([43, 44]);
    expect(j.reproduced?.mean).toBeCloseTo(49.2, 10);
    expect(j.reproduced?.leftOut).toEqual([
      { seed: 42, test_accuracy: 40.1, below_median: expect.closeTo(8.8, 10) },
    ]);
    expect(counted).toMatchObject({ holds: false, outcome: 'rechecked' });
    expect(j.reproduced && formatReproduced(j.reproduced)).toBe(
      "49.20% ± 0.42 over 2 runs (seeds 43–44; seed 42 collapsed to 40.10%, 8.80 pp below the runs' median, and is left out)",
    );
  });

  it('leaves out nothing from two runs, or from runs within the limit of their median', () => {
    // Prepare
    const leaving = { ...policy, recheck_within_pp: 12, collapse_below_median_pp: 4.5 };
    // Act
    const two = judgeClaim(
      49,
      { seed: 42, test_accuracy: 40.1 },
      [{ seed: 43, test_accuracy: 49 }],
      {
        ...leaving,
        recheck_runs: 1,
      },
    );
    const close = judgeClaim(
      47,
      { seed: 42, test_accuracy: 43.1 },
      [
        { seed: 43, test_accuracy: 47.5 },
        { seed: 44, test_accuracy: 46.9 },
      ],
      leaving,
    );
    // Assess
    expect(two.reproduced).toMatchObject({ seeds: [42, 43], leftOut: [] });
    expect(close.reproduced).toMatchObject({ seeds: [42, 43, 44], leftOut: [] });
  });

  it('formats a reproduced figure with its spread and seeds', () => {
    // Act
    const text = formatReproduced({ mean: 49.1, sd: 1.8, seeds: [42, 43, 44] });
    // Assess
    expect(text).toBe('49.10% ± 1.80 over 3 runs (seeds 42–44)');
  });
});
