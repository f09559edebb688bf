import { searchReproductionPolicy } from './derive.js';
import { NoFairPolicyError } from './errors.js';
import type {
  JointReproductionRates,
  NoiseTerms,
  NoiseUncertainty,
  ReproductionTargets,
  SearchGrid,
} from './types.js';
import { withTerms } from './uncertainty.js';

/** One term of the noise changed, and what the best fair policy then achieves. */
export interface LimitingTerm {
  change: string;
  /** null when no policy on the grid is fair under the changed noise. */
  rates: JointReproductionRates | null;
}

/**
 * What limits task 4.1's detection: the policy search rerun with one term of the noise (in the
 * estimates and every draw alike), or the budget, or the re-check rule, changed at a time. The
 * first row is the noise as measured.
 */
export function limitingTerms(
  noise: NoiseUncertainty,
  under: number,
  targets: ReproductionTargets,
  grid: SearchGrid,
): LimitingTerm[] {
  const agreeing = (t: NoiseTerms): NoiseTerms => ({
    ...t,
    biasSpread: 0,
    bias: noise.estimate.bias,
  });
  const steady = (t: NoiseTerms): NoiseTerms => ({ ...t, collapseRate: 0 });
  const seedsMean = (seeds: number) => (t: NoiseTerms) => ({
    ...t,
    studentSd: t.studentSd / Math.sqrt(seeds),
  });
  const variants: Array<{
    change: string;
    noise: NoiseUncertainty;
    targets?: ReproductionTargets;
  }> = [
    { change: "none (the rubric's policy)", noise },
    {
      change: 're-check budget halved',
      noise,
      targets: { ...targets, max_expected_extra_runs: targets.max_expected_extra_runs / 2 },
    },
    {
      change: 'a re-check counts every run (none left out)',
      noise: { ...noise, collapseLimit: undefined },
    },
    { change: 'no grader collapses', noise: withTerms(noise, steady) },
    {
      change: 'the engines differ alike on every network, by a known bias (τ = 0)',
      noise: withTerms(noise, agreeing),
    },
    { change: 'students report the mean of 3 seeds', noise: withTerms(noise, seedsMean(3)) },
    { change: 'students report the mean of 5 seeds', noise: withTerms(noise, seedsMean(5)) },
    {
      change: 'τ = 0, a known bias and no grader collapses',
      noise: withTerms(noise, (t) => steady(agreeing(t))),
    },
  ];
  return variants.map((variant) => {
    try {
      const found = searchReproductionPolicy(
        variant.noise,
        under,
        variant.targets ?? targets,
        grid,
      );
      return { change: variant.change, rates: found.rates };
    } catch (error) {
      if (error instanceof NoFairPolicyError) return { change: variant.change, rates: null };
      throw error;
    }
  });
}
