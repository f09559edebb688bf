import { searchReproductionPolicy } from './derive.js';
import { NoFairPolicyError } from './errors.js';
import type {
  NoiseModel,
  NoiseSummary,
  ReproductionRates,
  ReproductionTargets,
  SearchGrid,
} from './types.js';

/** One term of the noise model changed, and what the best fair policy then achieves. */
export interface LimitingTerm {
  change: string;
  /** null when no policy on the grid is fair under the changed model. */
  rates: ReproductionRates | null;
}

/**
 * What limits task 4.1's detection: the policy search rerun with one term of the noise model
 * (or the budget, or the re-check rule) changed at a time. The first row is the model as it is.
 */
export function limitingTerms(
  summary: NoiseSummary,
  noise: NoiseModel,
  under: number,
  targets: ReproductionTargets,
  grid: SearchGrid,
): LimitingTerm[] {
  const bias = summary.biasSpread;
  const sigmaT = summary.sigmaStudent;
  const effective = (studentVariance: number, engineVariance: number) =>
    Math.sqrt(studentVariance + engineVariance);
  const engine = bias.spread_upper ** 2 + bias.mean_se ** 2;
  const steady: NoiseModel = { ...noise, firstRunCollapse: undefined };
  const agreeing: NoiseModel = { ...noise, sigmaStudent: sigmaT };
  const variants: Array<{
    change: string;
    noise: NoiseModel;
    targets?: ReproductionTargets;
    keepCollapsed?: boolean;
  }> = [
    { change: "none (the rubric's policy)", noise },
    {
      change: 're-check budget halved',
      noise,
      targets: { ...targets, max_expected_extra_runs: targets.max_expected_extra_runs / 2 },
    },
    { change: 'a re-check counts every run (none left out)', noise, keepCollapsed: true },
    { change: 'no grader collapses', noise: steady },
    { change: 'the engines differ alike on every network (τ = 0, se = 0)', noise: agreeing },
    {
      change: 'students report the mean of 3 seeds',
      noise: { ...noise, sigmaStudent: effective(sigmaT ** 2 / 3, engine) },
    },
    {
      change: 'students report the mean of 5 seeds',
      noise: { ...noise, sigmaStudent: effective(sigmaT ** 2 / 5, engine) },
    },
    {
      change: 'τ = 0, se = 0 and no grader collapses',
      noise: { ...agreeing, firstRunCollapse: undefined },
    },
  ];
  return variants.map((variant) => {
    const model: NoiseModel = variant.keepCollapsed
      ? { ...variant.noise, graderCollapseLimit: undefined }
      : variant.noise;
    try {
      const found = searchReproductionPolicy(model, under, variant.targets ?? targets, grid);
      return { change: variant.change, rates: found.rates };
    } catch (error) {
      if (error instanceof NoFairPolicyError) return { change: variant.change, rates: null };
      throw error;
    }
  });
}
