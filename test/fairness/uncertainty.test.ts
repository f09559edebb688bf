import { describe, expect, it } from 'vitest';
import {
  allowedAbove,
  binomialCdf,
  boundCoverage,
  boundsStartAtEstimate,
  jointBaselineRates,
  jointReproductionRates,
  lowerBound,
  type NoiseTerms,
  noiseUncertaintyOf,
  type ReproductionPolicy,
  rateUpperBound,
  shareNoisierThanEstimate,
  simulateMeasurements,
  summarizeNoise,
  upperBound,
} from '../../src/fairness/index.js';

/** Close to the measured noise (docs/fairness.md): 12 networks, 16 or 8 seeds a side. */
const TRUTH: NoiseTerms = {
  studentSd: 1.32,
  graderSd: 1.41,
  bias: 0.21,
  biasSpread: 0.36,
  collapseRate: 0.028,
};
const COLLAPSE_DEPTH = 8.66;
const RUNS = [16, 16, 16, 16, 16, 16, 8, 8, 8, 8, 8, 8];

describe('bounds over draws', () => {
  it("an upper bound at 95% is a draw that lies at or above the draws' 95th percentile with 95% confidence", () => {
    // Prepare
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    // Act
    const allowed = allowedAbove(200, 0.95);
    const upper = upperBound(values, 0.95);
    const lower = lowerBound(values, 0.95);
    // Assess: the 196th of 200: P(at most 195 of 200 draws fall below the 95th percentile) ≥ 95%,
    // and the 195th would not do.
    expect(allowed).toBe(4);
    expect(binomialCdf(195, 200, 0.95)).toBeGreaterThanOrEqual(0.95);
    expect(binomialCdf(194, 200, 0.95)).toBeLessThan(0.95);
    expect(upper).toBe(196);
    expect(lower).toBe(5);
  });
});

describe('drawing what the measurements allow', () => {
  const summary = summarizeNoise(simulateMeasurements(TRUTH, COLLAPSE_DEPTH, RUNS, 7));
  const noise = noiseUncertaintyOf(summary, { draws: 4000, seed: 3, confidence: 0.95 });
  const sds = (pick: (t: (typeof noise.draws)[number]) => number) => noise.draws.map(pick);

  it("each term's draws put its own 95% bound where the classical one is", () => {
    // Act
    const student = upperBound(
      sds((t) => t.studentSd),
      0.95,
    );
    const spread = upperBound(
      sds((t) => t.biasSpread),
      0.95,
    );
    // Assess: χ² pivot for an sd, the Q-profile for τ (both within Monte Carlo error).
    expect(student / summary.sigmaStudent).toBeCloseTo(1, 1);
    expect(Math.abs(student - summary.sigmaStudent)).toBeLessThan(0.02);
    expect(Math.abs(spread - summary.biasSpread.spread_upper)).toBeLessThan(0.08);
  });

  it('centres the bias on its estimate and draws collapse rates no higher than Clopper–Pearson allows', () => {
    // Act
    const biases = sds((t) => t.bias).sort((a, b) => a - b);
    const rates = sds((t) => t.collapseRate);
    // Assess
    const median = biases[biases.length / 2] as number;
    expect(Math.abs(median - summary.biasSpread.mean)).toBeLessThan(0.05);
    expect(upperBound(rates, 0.95)).toBeLessThanOrEqual(
      rateUpperBound(summary.grader.collapsed, summary.grader.runs),
    );
    expect(upperBound(rates, 0.95)).toBeGreaterThan(summary.grader.collapsed / summary.grader.runs);
  });

  it('the same seed draws the same truths, and enough of them are noisier than the estimates', () => {
    // Act
    const again = noiseUncertaintyOf(summary, { draws: 4000, seed: 3, confidence: 0.95 });
    const other = noiseUncertaintyOf(summary, { draws: 4000, seed: 4, confidence: 0.95 });
    // Assess
    expect(again).toEqual(noise);
    expect(other.draws[0]).not.toEqual(noise.draws[0]);
    expect(shareNoisierThanEstimate(noise)).toBeGreaterThan(0.05);
  });

  it('refuses a confidence outside (0, 1) and an empty set of draws', () => {
    // Act
    const outside = () => noiseUncertaintyOf(summary, { draws: 10, seed: 1, confidence: 95 });
    const none = () => noiseUncertaintyOf(summary, { draws: 0, seed: 1, confidence: 0.95 });
    // Assess
    expect(outside).toThrow('confidence lies strictly between 0 and 1, not 95');
    expect(none).toThrow('draws must be a positive integer, not 0');
  });
});

describe("the joint bound's coverage", () => {
  it("bounds the true rates in at least 90% of measurements (95% nominal), where 4.1's estimate alone does not", () => {
    // Prepare: policies like the rubric's, each close to its 1% target under the truth.
    const check = {
      truth: TRUTH,
      collapseDepth: COLLAPSE_DEPTH,
      runs: RUNS,
      reproduction: {
        pass_within_pp: 3,
        recheck_within_pp: 14,
        recheck_runs: 4,
        mean_within_pp: 4,
        under_claim_within_pp: 20,
        collapse_below_median_pp: 4.5,
      },
      baseline: {
        recheck_beyond_pp: 10.5,
        recheck_runs: 3,
        mean_margin_pp: 2,
        collapse_below_median_pp: 4.5,
      },
      comparableWithin: 2,
      measurements: 120,
      draws: 300,
      confidence: 0.95,
      seed: 1000,
    };
    // Act: measure the truth again and again, and bound each measurement's rates.
    const { reproduction, baseline } = boundCoverage(check);
    // Assess
    expect(reproduction.trueRate).toBeGreaterThan(0.001);
    expect(reproduction.bounded / reproduction.measurements).toBeGreaterThanOrEqual(0.9);
    expect(baseline.bounded / baseline.measurements).toBeGreaterThanOrEqual(0.9);
    expect(reproduction.estimated / reproduction.measurements).toBeLessThan(0.75);
  });
});

describe("the searches' shortcut", () => {
  it('no policy on the grid is fair over the draws but not at the estimates, so starting there loses nothing', () => {
    // Prepare: the searches start each band at its smallest tolerance fair at the estimates;
    // that is sound when a rate's bound is never below its value at the estimates.
    const noise = noiseUncertaintyOf(
      summarizeNoise(simulateMeasurements(TRUTH, COLLAPSE_DEPTH, RUNS, 11)),
      { draws: 400, seed: 5, confidence: 0.95 },
    );
    const policies: ReproductionPolicy[] = [];
    for (const t1 of [1, 2.5, 4, 6]) {
      for (const t2 of [t1, t1 + 2, t1 + 8]) {
        for (const t3 of [1.5, 3, 4.5]) {
          for (const k of [2, 4]) {
            policies.push({
              pass_within_pp: t1,
              recheck_within_pp: t2,
              recheck_runs: k,
              mean_within_pp: t3,
              under_claim_within_pp: 20,
              collapse_below_median_pp: 4.5,
            });
          }
        }
      }
    }
    // Act
    const below = policies.filter((p) => {
      const rates = jointReproductionRates(p, noise, 5);
      return rates.false_deduction_upper < rates.false_deduction;
    });
    const baselineBelow = [2, 6, 10].flatMap((r) =>
      [0, 1.5, 3].filter((m) => {
        const rates = jointBaselineRates(
          {
            recheck_beyond_pp: r,
            recheck_runs: 3,
            mean_margin_pp: m,
            collapse_below_median_pp: 4.5,
          },
          2,
          noise,
          5,
        );
        return rates.lose_full_at_limit_upper < rates.lose_full_at_limit;
      }),
    );
    // Assess
    expect(boundsStartAtEstimate(noise)).toBe(true);
    expect(below).toEqual([]);
    expect(baselineBelow).toEqual([]);
  });
});
