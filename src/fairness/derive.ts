import { NoFairPolicyError } from './errors.js';
import { formatRate } from './format.js';
import { summarizeNoise } from './noise.js';
import {
  baselineRates,
  falseDeductionBoundBelow,
  honestClaimRates,
  jointBaselineRates,
  jointReproductionRates,
  loseFullBoundBelow,
  recheckProbability,
  reproductionRates,
} from './rates.js';
import type {
  BaselineRates,
  BaselineRecheckPolicy,
  BaselineTargets,
  DerivedBaseline,
  DerivedReproduction,
  NoiseUncertainty,
  ReproductionPolicy,
  ReproductionRates,
  ReproductionTargets,
  SearchGrid,
  SeedNoiseMeasurements,
} from './types.js';
import {
  boundsStartAtEstimate,
  DEFAULT_UNCERTAINTY,
  estimateModelOf,
  noiseUncertaintyOf,
  type UncertaintyOptions,
} from './uncertainty.js';

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
  noise: NoiseUncertainty,
  grid: SearchGrid,
): { collapse_below_median_pp?: number } {
  const limit = noise.collapseLimit;
  if (limit === undefined || !(limit > 0)) return {};
  return { collapse_below_median_pp: Math.ceil(limit / grid.step_pp - 1e-9) * grid.step_pp };
}

/** What the measurements say about the noise, for the rates' joint bounds (see noiseUncertaintyOf). */
export function noiseUncertainty(
  measurements: SeedNoiseMeasurements,
  options: UncertaintyOptions = DEFAULT_UNCERTAINTY,
): NoiseUncertainty {
  return noiseUncertaintyOf(summarizeNoise(measurements), options);
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
 * and every re-check size, those whose false-deduction rate's joint upper bound is below the
 * target and whose re-check runs per honest claim (at the estimates) stay within budget; of
 * them the one that catches a claim off by the fabrication offset most often at the estimates,
 * ties (within 0.1 pp) going to fewer expected runs, then fewer runs, then the stricter
 * tolerances. Throws NoFairPolicyError when none qualifies.
 */
export function deriveReproductionPolicy(
  measurements: SeedNoiseMeasurements,
  targets: ReproductionTargets = DEFAULT_REPRODUCTION_TARGETS,
  grid: SearchGrid = DEFAULT_GRID,
  options: UncertaintyOptions = DEFAULT_UNCERTAINTY,
): DerivedReproduction {
  return searchReproductionPolicy(
    noiseUncertainty(measurements, options),
    measuredUnderClaim(measurements, grid.step_pp),
    targets,
    grid,
  );
}

/** A (pass, re-check band, runs) choice, its smallest mean tolerance fair at the estimates, and
 * the detection there: no tolerance fair over the draws can detect more (see below). */
interface BandCandidate {
  base: Omit<ReproductionPolicy, 'mean_within_pp'>;
  means: number[];
  detectionAtMost: number;
}

/**
 * The grid search behind deriveReproductionPolicy, for a given noise uncertainty and under-claim
 * limit. Bounding a policy over the draws costs thousands of rate evaluations, so the search
 * first finds, for each band, the smallest mean tolerance fair at the estimates: when enough
 * draws are noisier than the estimates in every term (boundsStartAtEstimate), no smaller one
 * can be fair over the draws, and the detection there is the most the band can give. Bands are
 * then bounded best first, and the search stops when no band left can beat the best found.
 */
export function searchReproductionPolicy(
  noise: NoiseUncertainty,
  under: number,
  targets: ReproductionTargets = DEFAULT_REPRODUCTION_TARGETS,
  grid: SearchGrid = DEFAULT_GRID,
): DerivedReproduction {
  checkGrid(grid);
  const runChoices = [...grid.recheck_runs].sort((a, b) => a - b);
  const estimate = estimateModelOf(noise);
  const collapse = collapseSetting(noise, grid);
  const target = targets.max_false_deduction;
  const startAtEstimate = boundsStartAtEstimate(noise);
  let searched = 0;
  let bounded = 0;
  // The policy with the lowest false-deduction rate at the estimates, for the error message.
  let closest: { policy: ReproductionPolicy; rate: number } | null = null;
  const fairAtEstimate = (policy: ReproductionPolicy): boolean => {
    searched += 1;
    const rate = honestClaimRates(policy, estimate).false_deduction;
    if (closest === null || rate < closest.rate) closest = { policy, rate };
    return rate < target;
  };
  const detectionAtEstimate = (policy: ReproductionPolicy): number => {
    searched += 1;
    return reproductionRates(policy, estimate, targets.fabricated_off_by_pp).detection;
  };
  const candidates: BandCandidate[] = [];
  const allMeans = steps(grid.step_pp, grid);
  const addBand = (base: BandCandidate['base'], means: number[]) => {
    // A claim holds more often, honest or not, as mean_within_pp grows: bisect for the smallest
    // fair at the estimates; the largest tells whether any is.
    let low = 0;
    let high = means.length - 1;
    const fairAtLargest = fairAtEstimate({ ...base, mean_within_pp: means[high] as number });
    if (!startAtEstimate) {
      candidates.push({ base, means, detectionAtMost: 1 });
      return;
    }
    if (!fairAtLargest) return;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (fairAtEstimate({ ...base, mean_within_pp: means[middle] as number })) high = middle;
      else low = middle + 1;
    }
    const from = means.slice(low);
    const detectionAtMost = detectionAtEstimate({ ...base, mean_within_pp: from[0] as number });
    candidates.push({ base, means: from, detectionAtMost });
  };
  for (const t1 of steps(grid.step_pp, grid)) {
    // No re-check band: one run decides, and the mean's tolerance plays no part.
    addBand(
      {
        pass_within_pp: t1,
        recheck_within_pp: t1,
        recheck_runs: runChoices[0] ?? 2,
        under_claim_within_pp: Math.max(under, t1),
        ...collapse,
      },
      [t1],
    );
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
        if (recheckProbability(base, estimate) * k > targets.max_expected_extra_runs) continue;
        addBand(base, allMeans);
      }
    }
  }
  candidates.sort((a, b) => b.detectionAtMost - a.detectionAtMost);
  let best: { policy: ReproductionPolicy; rates: ReproductionRates } | undefined;
  for (const candidate of candidates) {
    if (best !== undefined && candidate.detectionAtMost < best.rates.detection - RATE_TIE) break;
    for (const m of candidate.means) {
      const policy: ReproductionPolicy = { ...candidate.base, mean_within_pp: m };
      // Detection only falls as the mean's tolerance grows.
      const detection = detectionAtEstimate(policy);
      if (best !== undefined && detection < best.rates.detection - RATE_TIE) break;
      bounded += 1;
      if (!falseDeductionBoundBelow(policy, noise, target)) continue;
      const rates = reproductionRates(policy, estimate, targets.fabricated_off_by_pp);
      if (best === undefined || betterReproduction(rates, policy, best)) best = { policy, rates };
      break;
    }
  }
  const found = best as { policy: ReproductionPolicy } | undefined;
  if (found === undefined) {
    const near = closest as { policy: ReproductionPolicy; rate: number } | null;
    const nearest =
      near === null
        ? null
        : {
            policy: near.policy,
            rate: jointReproductionRates(near.policy, noise, targets.fabricated_off_by_pp)
              .false_deduction_upper,
          };
    throw new NoFairPolicyError(
      `no task 4.1 policy on the grid keeps the false-deduction rate below ${formatRate(target)} (at ${formatRate(noise.confidence)} confidence) within ${targets.max_expected_extra_runs} re-check runs per claim${nearest ? `; the lowest reached is ${formatRate(nearest.rate)}` : ''}`,
      nearest,
    );
  }
  return {
    policy: found.policy,
    rates: jointReproductionRates(found.policy, noise, targets.fabricated_off_by_pp),
    noise,
    searched,
    bounded,
  };
}

function betterReproduction(
  rates: ReproductionRates,
  policy: ReproductionPolicy,
  best: { policy: ReproductionPolicy; rates: ReproductionRates },
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
 * marks less often than the target (the joint upper bound over the draws); of them the one that
 * least often gives full marks to a network truly `below_limit_pp` under the limit (at the
 * estimates), ties (within 0.1 pp) going to fewer expected runs at the limit, then fewer runs, a
 * narrower band and a smaller margin.
 */
export function deriveBaselinePolicy(
  measurements: SeedNoiseMeasurements,
  comparableWithin: number,
  targets: BaselineTargets = DEFAULT_BASELINE_TARGETS,
  grid: SearchGrid = DEFAULT_GRID,
  options: UncertaintyOptions = DEFAULT_UNCERTAINTY,
): DerivedBaseline {
  return searchBaselinePolicy(
    noiseUncertainty(measurements, options),
    comparableWithin,
    targets,
    grid,
  );
}

/** The grid search behind deriveBaselinePolicy, for a given noise uncertainty. */
export function searchBaselinePolicy(
  noise: NoiseUncertainty,
  comparableWithin: number,
  targets: BaselineTargets = DEFAULT_BASELINE_TARGETS,
  grid: SearchGrid = DEFAULT_GRID,
): DerivedBaseline {
  checkGrid(grid);
  const estimate = estimateModelOf(noise);
  const collapse = collapseSetting(noise, grid);
  const runChoices = [...grid.recheck_runs].sort((a, b) => a - b);
  const target = targets.max_lose_full_at_limit;
  // As for task 4.1: with enough draws noisier than the estimates, no margin below the
  // estimate's smallest fair one is fair over the draws.
  const startAtEstimate = boundsStartAtEstimate(noise);
  const ratesAtEstimate = (policy: BaselineRecheckPolicy) =>
    baselineRates(
      policy,
      comparableWithin,
      estimate.sigmaGrader,
      targets.below_limit_pp,
      estimate.firstRunCollapse,
    );
  let best: { policy: BaselineRecheckPolicy; rates: BaselineRates } | undefined;
  let closest: { policy: BaselineRecheckPolicy; rate: number } | null = null;
  let searched = 0;
  let bounded = 0;
  for (const r of steps(grid.step_pp, grid)) {
    for (const k of runChoices) {
      // Full marks come more often as the margin grows, at the limit and below it: the
      // smallest fair margin denies the most, so the scan stops there.
      for (const m of steps(0, grid)) {
        searched += 1;
        const policy = { recheck_beyond_pp: r, recheck_runs: k, mean_margin_pp: m, ...collapse };
        const rates = ratesAtEstimate(policy);
        if (closest === null || rates.lose_full_at_limit < closest.rate) {
          closest = { policy, rate: rates.lose_full_at_limit };
        }
        if (startAtEstimate && rates.lose_full_at_limit >= target) continue;
        if (best !== undefined && !betterBaseline(rates, policy, best)) break;
        bounded += 1;
        if (!loseFullBoundBelow(policy, comparableWithin, noise, target)) continue;
        best = { policy, rates };
        break;
      }
    }
  }
  const found = best as { policy: BaselineRecheckPolicy } | undefined;
  if (found === undefined) {
    const near = closest as { policy: BaselineRecheckPolicy; rate: number } | null;
    const nearest =
      near === null
        ? null
        : {
            policy: near.policy,
            rate: jointBaselineRates(near.policy, comparableWithin, noise, targets.below_limit_pp)
              .lose_full_at_limit_upper,
          };
    throw new NoFairPolicyError(
      `no task 3.3 re-check on the grid keeps a network at the comparable limit from losing full marks less than ${formatRate(target)} of the time (at ${formatRate(noise.confidence)} confidence)${nearest ? `; the lowest reached is ${formatRate(nearest.rate)}` : ''}`,
      nearest,
    );
  }
  return {
    policy: found.policy,
    rates: jointBaselineRates(found.policy, comparableWithin, noise, targets.below_limit_pp),
    noise,
    searched,
    bounded,
  };
}

function betterBaseline(
  rates: BaselineRates,
  policy: BaselineRecheckPolicy,
  best: { policy: BaselineRecheckPolicy; rates: BaselineRates },
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
