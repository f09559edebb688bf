import { normalCdf, normalPdf, probabilityWithin, simpson } from './normal.js';
import type {
  BaselineRates,
  BaselineRecheckPolicy,
  JointBaselineRates,
  JointReproductionRates,
  NoiseModel,
  NoiseUncertainty,
  ReproductionPolicy,
  ReproductionRates,
  RunCollapse,
} from './types.js';
import {
  allowedAbove,
  estimateModelOf,
  lowerBound,
  noiseModelOf,
  upperBound,
} from './uncertainty.js';

/** Simpson intervals per percentage point: the integrands vary on the scale of σ (≥ ~0.5 pp). */
const INTERVALS_PER_PP = 40;

function intervals(width: number): number {
  return Math.max(8, Math.ceil(width * INTERVALS_PER_PP));
}

/**
 * Probabilities of one claim under task 4.1's rule. The claim is C = R + offset with
 * R ~ N(μ, σ_T²) the student's run (offset 0 for an honest claim); the grader's runs are
 * Gᵢ ~ N(μ + bias, σ_G²), independent, except that the first may have collapsed by `drop`
 * (G₁ − drop). D = C − G₁ ~ N(offset − bias + drop, σ_T² + σ_G²). Given D = d, C minus the mean
 * of the k + 1 runs is normal with
 *   mean  offset − bias + drop/(k+1) + e·(σ_T² + σ_G²/(k+1)) / (σ_T² + σ_G²),  e = d − E[D],
 *   var   v·(k/(k+1))² + k·σ_G²/(k+1)²,  v = σ_T²σ_G² / (σ_T² + σ_G²),
 * so the chance the claim holds is exact up to the Simpson integral over the re-check band.
 * A collapsed first run deeper than the policy's collapse limit is left out of the re-check's
 * mean: C minus the mean of the k new runs has mean offset − bias + e·σ_T²/(σ_T² + σ_G²) and
 * variance v + σ_G²/k. (That a steady run can fall below the limit too, and be left out, is a
 * second-order term the formula leaves out; the Monte Carlo test judges it as it happens.)
 * A claim below the first run holds down to under_claim_within_pp (u) without a re-check; the
 * re-check band on that side is what lies between u and recheck_within_pp, if anything.
 */
export function claimProbabilities(
  policy: ReproductionPolicy,
  noise: NoiseModel,
  offset: number,
  drop = 0,
): { holds: number; recheck: number } {
  const { pass_within_pp: t1, recheck_within_pp: t2, recheck_runs: k, mean_within_pp: t3 } = policy;
  const st2 = noise.sigmaStudent ** 2;
  const sg2 = noise.sigmaGrader ** 2;
  const total = st2 + sg2;
  const sdD = Math.sqrt(total);
  const meanD = offset - noise.bias + drop;
  const u = Math.max(policy.under_claim_within_pp, t1);
  const between = (low: number, high: number) =>
    sdD === 0
      ? Number(meanD >= low && meanD <= high)
      : normalCdf((high - meanD) / sdD) - normalCdf((low - meanD) / sdD);
  const first = between(-u, t1);
  if (t2 <= t1 || sdD === 0) return { holds: first, recheck: 0 };
  const recheck = between(t1, t2) + (u < t2 ? between(-t2, -u) : 0);
  const v = (st2 * sg2) / total;
  const leftOut = isLeftOut(drop, policy.collapse_below_median_pp);
  const shrink = leftOut ? st2 / total : (st2 + sg2 / (k + 1)) / total;
  const sdMean = leftOut
    ? Math.sqrt(v + sg2 / k)
    : Math.sqrt(v * (k / (k + 1)) ** 2 + (k * sg2) / (k + 1) ** 2);
  const meanOfRuns = offset - noise.bias + (leftOut ? 0 : drop / (k + 1));
  const density = (d: number) => {
    const e = d - meanD;
    const centre = meanOfRuns + e * shrink;
    return (normalPdf(e / sdD) / sdD) * probabilityWithin(t3, centre, sdMean);
  };
  const band =
    simpson(density, t1, t2, intervals(t2 - t1)) +
    (u < t2 ? simpson(density, -t2, -u, intervals(t2 - u)) : 0);
  return { holds: first + band, recheck };
}

/** Whether a re-check leaves out a first run that collapsed by `drop` (see judge.ts). */
function isLeftOut(drop: number, limit: number | undefined): boolean {
  return drop > 0 && limit !== undefined && drop > limit;
}

/**
 * The grader's first run as a mixture: steady with weight 1 − rate, lower by `depth` with weight
 * rate; one steady component when the model has no collapse.
 */
function firstRunMixture(collapse: RunCollapse | undefined): { weight: number; drop: number }[] {
  if (collapse === undefined || collapse.rate <= 0 || collapse.depth <= 0) {
    return [{ weight: 1, drop: 0 }];
  }
  return [
    { weight: 1 - collapse.rate, drop: 0 },
    { weight: collapse.rate, drop: collapse.depth },
  ];
}

/** Weighted sums of the probabilities a function gives for each component of a mixture. */
function mixed<K extends string>(
  mixture: readonly { weight: number; drop: number }[],
  probabilities: (drop: number) => Record<K, number>,
): Record<K, number> {
  const total = {} as Record<K, number>;
  for (const { weight, drop } of mixture) {
    for (const [key, value] of Object.entries(probabilities(drop)) as [K, number][]) {
      total[key] = (total[key] ?? 0) + weight * value;
    }
  }
  return total;
}

/**
 * claimProbabilities with the grader's first run collapsing at the model's rate: a mixture of
 * the normal case and the collapsed one.
 */
export function claimProbabilitiesWithCollapse(
  policy: ReproductionPolicy,
  noise: NoiseModel,
  offset: number,
): { holds: number; recheck: number } {
  return mixed(firstRunMixture(noise.firstRunCollapse), (drop) =>
    claimProbabilities(policy, noise, offset, drop),
  );
}

/** Chance an honest claim lands in the re-check band; closed form. */
export function recheckProbability(
  policy: Pick<
    ReproductionPolicy,
    'pass_within_pp' | 'recheck_within_pp' | 'under_claim_within_pp'
  >,
  noise: NoiseModel,
): number {
  const { pass_within_pp: t1, recheck_within_pp: t2 } = policy;
  if (t2 <= t1) return 0;
  const u = Math.max(policy.under_claim_within_pp, t1);
  const sd = Math.sqrt(noise.sigmaStudent ** 2 + noise.sigmaGrader ** 2);
  let inBand = 0;
  for (const { weight, drop } of firstRunMixture(noise.firstRunCollapse)) {
    const shift = noise.bias - drop;
    const between = (low: number, high: number) =>
      normalCdf((high + shift) / sd) - normalCdf((low + shift) / sd);
    inBand += weight * (between(t1, t2) + (u < t2 ? between(-t2, -u) : 0));
  }
  return inBand;
}

/** False-deduction rate and re-check runs per honest claim, without the detection integrals. */
export function honestClaimRates(
  policy: ReproductionPolicy,
  noise: NoiseModel,
): Omit<ReproductionRates, 'detection'> {
  const honest = claimProbabilitiesWithCollapse(policy, noise, 0);
  return {
    false_deduction: clamp01(1 - honest.holds),
    expected_extra_runs: honest.recheck * policy.recheck_runs,
  };
}

/**
 * False-deduction rate, detection rate of a claim `offset` above the student's run (a claim
 * below gains nothing, and the under-claim side is wide by design), and expected re-check runs.
 */
export function reproductionRates(
  policy: ReproductionPolicy,
  noise: NoiseModel,
  fabricatedOffBy: number,
): ReproductionRates {
  const honest = honestClaimRates(policy, noise);
  return {
    ...honest,
    detection: clamp01(1 - claimProbabilitiesWithCollapse(policy, noise, fabricatedOffBy).holds),
  };
}

const drawnModels = new WeakMap<NoiseUncertainty, NoiseModel[]>();

/**
 * The draws' noise models, built once per uncertainty, noisiest first: a bound that fails
 * fails on those, and boundStaysBelow stops early.
 */
function modelsOfDraws(noise: NoiseUncertainty): NoiseModel[] {
  let models = drawnModels.get(noise);
  if (models === undefined) {
    const variance = (m: NoiseModel) => m.sigmaStudent ** 2 + m.sigmaGrader ** 2;
    models = noise.draws
      .map((terms) => noiseModelOf(terms, noise.collapseDepth))
      .sort((a, b) => variance(b) - variance(a));
    drawnModels.set(noise, models);
  }
  return models;
}

/**
 * Whether a rate's upper bound over the draws stays below `target`: counts the draws at or
 * above it and stops as soon as more than the bound allows are.
 */
function boundStaysBelow(
  noise: NoiseUncertainty,
  target: number,
  rateOf: (model: NoiseModel) => number,
): boolean {
  const models = modelsOfDraws(noise);
  let allowed = allowedAbove(models.length, noise.confidence);
  for (const model of models) {
    if (rateOf(model) >= target) {
      allowed -= 1;
      if (allowed < 0) return false;
    }
  }
  return true;
}

/** A rate's joint upper bound at the uncertainty's confidence: its bound over the draws. */
export function boundOverDraws(
  noise: NoiseUncertainty,
  rateOf: (model: NoiseModel) => number,
): number {
  return upperBound(modelsOfDraws(noise).map(rateOf), noise.confidence);
}

/** Whether task 4.1's false-deduction rate's joint upper bound is below `target`. */
export function falseDeductionBoundBelow(
  policy: ReproductionPolicy,
  noise: NoiseUncertainty,
  target: number,
): boolean {
  return boundStaysBelow(noise, target, (model) => honestClaimRates(policy, model).false_deduction);
}

/** reproductionRates at the estimates, with the false-deduction and detection joint bounds. */
export function jointReproductionRates(
  policy: ReproductionPolicy,
  noise: NoiseUncertainty,
  fabricatedOffBy: number,
): JointReproductionRates {
  const detections = modelsOfDraws(noise).map(
    (m) => 1 - claimProbabilitiesWithCollapse(policy, m, fabricatedOffBy).holds,
  );
  return {
    ...reproductionRates(policy, estimateModelOf(noise), fabricatedOffBy),
    false_deduction_upper: boundOverDraws(
      noise,
      (m) => honestClaimRates(policy, m).false_deduction,
    ),
    detection_lower: clamp01(lowerBound(detections, noise.confidence)),
  };
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/**
 * Chance of full marks in task 3.3 for a network whose true mean gap to the baseline is
 * meanGap, with runs ~ N(·, σ_G²) and the first run's gap larger by `drop` if it collapsed:
 * the first gap g₁ ≤ c, or c < g₁ ≤ c + r and the mean gap of k + 1 runs ≤ c + m, where given
 * g₁ the mean gap ~ N((g₁ + k·meanGap)/(k+1), k·σ_G²/(k+1)²); a collapsed first run deeper than
 * the collapse limit is left out, and the mean gap of the k new runs ~ N(meanGap, σ_G²/k).
 * Also the chance of a re-check.
 */
export function fullMarksProbabilities(
  policy: BaselineRecheckPolicy,
  comparable: number,
  sigmaGrader: number,
  meanGap: number,
  drop = 0,
): { full: number; recheck: number } {
  const { recheck_beyond_pp: r, recheck_runs: k, mean_margin_pp: m } = policy;
  const s = sigmaGrader;
  const firstGap = meanGap + drop;
  if (s <= 0) return { full: firstGap <= comparable ? 1 : 0, recheck: 0 };
  const first = normalCdf((comparable - firstGap) / s);
  if (r <= 0) return { full: first, recheck: 0 };
  const recheck = normalCdf((comparable + r - firstGap) / s) - first;
  if (isLeftOut(drop, policy.collapse_below_median_pp)) {
    return {
      full: first + recheck * normalCdf((comparable + m - meanGap) / (s / Math.sqrt(k))),
      recheck,
    };
  }
  const sdMean = (Math.sqrt(k) * s) / (k + 1);
  const density = (g: number) =>
    (normalPdf((g - firstGap) / s) / s) *
    normalCdf((comparable + m - (g + k * meanGap) / (k + 1)) / sdMean);
  return {
    full: first + simpson(density, comparable, comparable + r, intervals(r)),
    recheck,
  };
}

/** fullMarksProbabilities as a mixture over the first run collapsing or not. */
function fullMarksWithCollapse(
  policy: BaselineRecheckPolicy,
  comparable: number,
  sigmaGrader: number,
  meanGap: number,
  collapse: RunCollapse | undefined,
): { full: number; recheck: number } {
  return mixed(firstRunMixture(collapse), (drop) =>
    fullMarksProbabilities(policy, comparable, sigmaGrader, meanGap, drop),
  );
}

export function baselineRates(
  policy: BaselineRecheckPolicy,
  comparable: number,
  sigmaGrader: number,
  belowLimit: number,
  collapse?: RunCollapse,
): BaselineRates {
  const atLimit = fullMarksWithCollapse(policy, comparable, sigmaGrader, comparable, collapse);
  const below = fullMarksWithCollapse(
    policy,
    comparable,
    sigmaGrader,
    comparable + belowLimit,
    collapse,
  );
  return {
    lose_full_at_limit: clamp01(1 - atLimit.full),
    full_when_below: clamp01(below.full),
    expected_extra_runs_at_limit: atLimit.recheck * policy.recheck_runs,
  };
}

/** Task 3.3: the chance a network exactly at the comparable limit loses full marks. */
export function loseFullAtLimit(
  policy: BaselineRecheckPolicy,
  comparable: number,
  model: NoiseModel,
): number {
  const atLimit = fullMarksWithCollapse(
    policy,
    comparable,
    model.sigmaGrader,
    comparable,
    model.firstRunCollapse,
  );
  return clamp01(1 - atLimit.full);
}

/** Whether task 3.3's chance of losing full marks at the limit has its joint bound below `target`. */
export function loseFullBoundBelow(
  policy: BaselineRecheckPolicy,
  comparable: number,
  noise: NoiseUncertainty,
  target: number,
): boolean {
  return boundStaysBelow(noise, target, (model) => loseFullAtLimit(policy, comparable, model));
}

/** baselineRates at the estimates, with both rates' joint upper bounds over the draws. */
export function jointBaselineRates(
  policy: BaselineRecheckPolicy,
  comparable: number,
  noise: NoiseUncertainty,
  belowLimit: number,
): JointBaselineRates {
  const ratesOf = (model: NoiseModel) =>
    baselineRates(policy, comparable, model.sigmaGrader, belowLimit, model.firstRunCollapse);
  const drawn = modelsOfDraws(noise).map(ratesOf);
  return {
    ...ratesOf(estimateModelOf(noise)),
    lose_full_at_limit_upper: upperBound(
      drawn.map((r) => r.lose_full_at_limit),
      noise.confidence,
    ),
    full_when_below_upper: upperBound(
      drawn.map((r) => r.full_when_below),
      noise.confidence,
    ),
  };
}
