import { NoFairPolicyError } from './errors.js';
import { formatRate } from './format.js';
import { noiseModelOf, summarizeNoise } from './noise.js';
import { baselineRates, honestClaimRates, recheckProbability, reproductionRates } from './rates.js';
import type {
  BaselineRecheckPolicy,
  BaselineTargets,
  DerivedBaseline,
  DerivedReproduction,
  NoiseModel,
  ReproductionPolicy,
  ReproductionTargets,
  SearchGrid,
  SeedNoiseMeasurements,
} from './types.js';

export const DEFAULT_REPRODUCTION_TARGETS: ReproductionTargets = {
  max_false_deduction: 0.01,
  fabricated_off_by_pp: 5,
  max_expected_extra_runs: 0.5,
};

export const DEFAULT_BASELINE_TARGETS: BaselineTargets = {
  max_lose_full_at_limit: 0.01,
  below_limit_pp: 5,
};

export const DEFAULT_GRID: SearchGrid = { step_pp: 0.5, max_pp: 15, recheck_runs: [2, 3, 4] };

/** Rates closer than this are ties, so a tenth of a point of detection does not buy more runs. */
const RATE_TIE = 1e-3;

function steps(from: number, grid: SearchGrid): number[] {
  const values: number[] = [];
  // Integer steps, so 0.5-pp values stay exact however many are added.
  const first = Math.round(from / grid.step_pp);
  const last = Math.round(grid.max_pp / grid.step_pp);
  for (let i = first; i <= last; i += 1) values.push(i * grid.step_pp);
  return values;
}

function checkGrid(grid: SearchGrid): void {
  if (!(grid.step_pp > 0) || !(grid.max_pp >= grid.step_pp)) {
    throw new RangeError(
      `the search grid needs step_pp > 0 and max_pp ≥ step_pp, not ${grid.step_pp}/${grid.max_pp}`,
    );
  }
  if (
    grid.recheck_runs.length === 0 ||
    grid.recheck_runs.some((k) => !Number.isInteger(k) || k < 1)
  ) {
    throw new RangeError('the search grid needs re-check sizes that are positive integers');
  }
}

/**
 * The policies' collapse limit: the grader's measured one, rounded up to the grid, so a re-check
 * leaves out what the measurements call a collapse and hardly ever a steady run. Nothing when
 * the model has no limit.
 */
function collapseSetting(
  noise: NoiseModel,
  grid: SearchGrid,
): { collapse_below_median_pp?: number } {
  const limit = noise.graderCollapseLimit;
  if (limit === undefined || !(limit > 0)) return {};
  return { collapse_below_median_pp: Math.ceil(limit / grid.step_pp - 1e-9) * grid.step_pp };
}

/** The noise model the 4.1 rates are computed under, from measurements (see noiseModelOf). */
export function noiseModel(measurements: SeedNoiseMeasurements): NoiseModel {
  return noiseModelOf(summarizeNoise(measurements));
}

/**
 * How far below a grader run an honest claim fell in the measurements: the largest
 * (grader run − student run) over every network and every pair of seeds, rounded up to the grid.
 * Both engines' runs have a heavy lower tail (a run that collapses with its seed), which a
 * normal model cannot cover; a claim below the grader's figure gains the student nothing, so
 * that side's tolerance is set from what was measured.
 */
export function measuredUnderClaim(measurements: SeedNoiseMeasurements, step: number): number {
  let worst = 0;
  for (const network of measurements.networks) {
    for (const student of network.student) {
      for (const grader of network.grader) {
        worst = Math.max(worst, grader.test_accuracy - student.test_accuracy);
      }
    }
  }
  return Math.ceil(worst / step - 1e-9) * step;
}

/**
 * Task 4.1's policy for measured noise: of every (pass, re-check, mean) tolerance on the grid
 * and every re-check size, those whose false-deduction rate is below the target and whose
 * re-check runs per honest claim stay within budget; of them the one that catches a claim off by
 * the fabrication offset most often, ties (within 0.1 pp) going to fewer expected runs, then
 * fewer runs, then the stricter tolerances. Throws NoFairPolicyError when none qualifies.
 */
export function deriveReproductionPolicy(
  measurements: SeedNoiseMeasurements,
  targets: ReproductionTargets = DEFAULT_REPRODUCTION_TARGETS,
  grid: SearchGrid = DEFAULT_GRID,
): DerivedReproduction {
  return searchReproductionPolicy(
    noiseModel(measurements),
    measuredUnderClaim(measurements, grid.step_pp),
    targets,
    grid,
  );
}

/** The grid search behind deriveReproductionPolicy, for a given noise model and under-claim limit. */
export function searchReproductionPolicy(
  noise: NoiseModel,
  under: number,
  targets: ReproductionTargets = DEFAULT_REPRODUCTION_TARGETS,
  grid: SearchGrid = DEFAULT_GRID,
): DerivedReproduction {
  checkGrid(grid);
  const runChoices = [...grid.recheck_runs].sort((a, b) => a - b);
  const collapse = collapseSetting(noise, grid);
  let best: DerivedReproduction | undefined;
  let nearest: { policy: ReproductionPolicy; rate: number } | null = null;
  let searched = 0;
  const isFair = (policy: ReproductionPolicy): boolean => {
    searched += 1;
    return honestClaimRates(policy, noise).false_deduction < targets.max_false_deduction;
  };
  // Returns whether the policy's false-deduction rate met the target.
  const consider = (policy: ReproductionPolicy): boolean => {
    searched += 1;
    const honest = honestClaimRates(policy, noise);
    if (honest.false_deduction >= targets.max_false_deduction) {
      if (nearest === null || honest.false_deduction < nearest.rate) {
        nearest = { policy, rate: honest.false_deduction };
      }
      return false;
    }
    const rates = reproductionRates(policy, noise, targets.fabricated_off_by_pp);
    if (best === undefined || betterReproduction(rates, policy, best)) {
      best = { policy, rates, noise, searched: 0 };
    }
    return true;
  };
  for (const t1 of steps(grid.step_pp, grid)) {
    // No re-check band: one run decides.
    consider({
      pass_within_pp: t1,
      recheck_within_pp: t1,
      recheck_runs: runChoices[0] ?? 2,
      mean_within_pp: t1,
      under_claim_within_pp: Math.max(under, t1),
      ...collapse,
    });
    for (const t2 of steps(t1 + grid.step_pp, grid)) {
      for (const k of runChoices) {
        const base = {
          pass_within_pp: t1,
          recheck_within_pp: t2,
          recheck_runs: k,
          under_claim_within_pp: Math.max(under, t1),
          ...collapse,
        };
        // The re-check band's cost does not depend on the mean's tolerance: skip it whole.
        const extra = recheckProbability(base, noise) * k;
        if (extra > targets.max_expected_extra_runs) continue;
        // A claim holds more often, honest or not, as mean_within_pp grows: the smallest
        // that is fair catches the most. Bisect for it; the largest tells whether any is fair.
        const means = steps(grid.step_pp, grid);
        let low = 0;
        let high = means.length - 1;
        if (!consider({ ...base, mean_within_pp: means[high] as number })) continue;
        while (low < high) {
          const middle = Math.floor((low + high) / 2);
          if (isFair({ ...base, mean_within_pp: means[middle] as number })) high = middle;
          else low = middle + 1;
        }
        consider({ ...base, mean_within_pp: means[low] as number });
      }
    }
  }
  const found = best as DerivedReproduction | undefined;
  if (found === undefined) {
    const near = nearest as { policy: ReproductionPolicy; rate: number } | null;
    throw new NoFairPolicyError(
      `no task 4.1 policy on the grid keeps the false-deduction rate below ${formatRate(targets.max_false_deduction)} within ${targets.max_expected_extra_runs} re-check runs per claim${near ? `; the lowest reached is ${formatRate(near.rate)}` : ''}`,
      near,
    );
  }
  return { ...found, searched };
}

function betterReproduction(
  rates: DerivedReproduction['rates'],
  policy: ReproductionPolicy,
  best: DerivedReproduction,
): boolean {
  const detection = rates.detection - best.rates.detection;
  if (Math.abs(detection) > RATE_TIE) return detection > 0;
  const runs = rates.expected_extra_runs - best.rates.expected_extra_runs;
  if (Math.abs(runs) > RATE_TIE) return runs < 0;
  const order: Array<Exclude<keyof ReproductionPolicy, 'collapse_below_median_pp'>> = [
    'recheck_runs',
    'recheck_within_pp',
    'mean_within_pp',
    'pass_within_pp',
    'under_claim_within_pp',
  ];
  for (const key of order) {
    if (policy[key] !== best.policy[key]) return policy[key] < best.policy[key];
  }
  return false;
}

/**
 * Task 3.3's re-check for measured grader noise: of every (re-check band, mean margin) on the grid
 * and every re-check size, those under which a network truly at the comparable limit loses full
 * marks less often than the target; of them the one that least often gives full marks to a
 * network truly `below_limit_pp` under the limit, ties (within 0.1 pp) going to fewer expected
 * runs at the limit, then fewer runs, a narrower band and a smaller margin.
 */
export function deriveBaselinePolicy(
  measurements: SeedNoiseMeasurements,
  comparableWithin: number,
  targets: BaselineTargets = DEFAULT_BASELINE_TARGETS,
  grid: SearchGrid = DEFAULT_GRID,
): DerivedBaseline {
  checkGrid(grid);
  const model = noiseModel(measurements);
  const sigmaGrader = model.sigmaGrader;
  const collapse = collapseSetting(model, grid);
  const runChoices = [...grid.recheck_runs].sort((a, b) => a - b);
  let best: DerivedBaseline | undefined;
  let nearest: { policy: BaselineRecheckPolicy; rate: number } | null = null;
  let searched = 0;
  for (const r of steps(grid.step_pp, grid)) {
    for (const k of runChoices) {
      // Full marks come more often as the margin grows, at the limit and below it: the
      // smallest fair margin denies the most, so the scan stops there.
      for (const m of steps(0, grid)) {
        searched += 1;
        const policy = { recheck_beyond_pp: r, recheck_runs: k, mean_margin_pp: m, ...collapse };
        const rates = baselineRates(
          policy,
          comparableWithin,
          sigmaGrader,
          targets.below_limit_pp,
          model.firstRunCollapse,
        );
        if (rates.lose_full_at_limit >= targets.max_lose_full_at_limit) {
          if (nearest === null || rates.lose_full_at_limit < nearest.rate) {
            nearest = { policy, rate: rates.lose_full_at_limit };
          }
          continue;
        }
        if (best === undefined || betterBaseline(rates, policy, best)) {
          best = { policy, rates, sigmaGrader, searched: 0 };
        }
        break;
      }
    }
  }
  const found = best as DerivedBaseline | undefined;
  if (found === undefined) {
    const near = nearest as { policy: BaselineRecheckPolicy; rate: number } | null;
    throw new NoFairPolicyError(
      `no task 3.3 re-check on the grid keeps a network at the comparable limit from losing full marks less than ${formatRate(targets.max_lose_full_at_limit)} of the time${near ? `; the lowest reached is ${formatRate(near.rate)}` : ''}`,
      near,
    );
  }
  return { ...found, searched };
}

function betterBaseline(
  rates: DerivedBaseline['rates'],
  policy: BaselineRecheckPolicy,
  best: DerivedBaseline,
): boolean {
  const full = rates.full_when_below - best.rates.full_when_below;
  if (Math.abs(full) > RATE_TIE) return full < 0;
  const runs = rates.expected_extra_runs_at_limit - best.rates.expected_extra_runs_at_limit;
  if (Math.abs(runs) > RATE_TIE) return runs < 0;
  const order: Array<Exclude<keyof BaselineRecheckPolicy, 'collapse_below_median_pp'>> = [
    'recheck_runs',
    'recheck_beyond_pp',
    'mean_margin_pp',
  ];
  for (const key of order) {
    if (policy[key] !== best.policy[key]) return policy[key] < best.policy[key];
  }
  return false;
}
