import { createRng, type Rng } from '../train/rng.js';
import { biasFitAt, biasSpreadWhereQIs } from './noise.js';
import { binomialCdf } from './normal.js';
import type { NoiseModel, NoiseSummary, NoiseTerms, NoiseUncertainty } from './types.js';

/** How many plausible truths to draw, from which seed, and the bounds' confidence. */
export interface UncertaintyOptions {
  draws: number;
  seed: number;
  confidence: number;
}

/**
 * With 8,000 draws the 95th percentile's own sampling error is ±0.24 percentile (one sd), and the
 * bound (allowedAbove) sits just above it; fewer draws would cost tolerance. The seed makes the
 * derivation the same every time it runs.
 */
export const DEFAULT_UNCERTAINTY: UncertaintyOptions = { draws: 8000, seed: 1, confidence: 0.95 };

const TWO_POW_32 = 4_294_967_296;

/** Draws from the distributions the pivotal quantities need, on one seeded generator. */
export function sampler(rng: Rng) {
  // Never 0 or 1, so logarithms stay finite.
  const uniform = () => (rng.nextUint32() + 0.5) / TWO_POW_32;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  // Marsaglia and Tsang's method; shapes below 1 boosted by U^(1/a).
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * uniform() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      if (Math.log(uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  return {
    normal,
    chiSquare: (df: number) => 2 * gamma(df / 2),
    beta: (a: number, b: number) => {
      const x = gamma(a);
      return x / (x + gamma(b));
    },
  };
}

/**
 * The measurements' estimates and `draws` plausible truths. Each noise term is drawn from its
 * generalized pivotal quantity (Weerahandi; Hannig's fiducial distributions), independently,
 * since the terms come from independent parts of the measurements:
 * - a pooled sd with ν df: σ² = ν·s² / χ²(ν);
 * - τ²: the τ² at which the generalized Q falls to a χ²(N − 1) draw (the Q-profile's pivot);
 * - μ_b given τ²: μ̂(τ²) − Z·se(τ²);
 * - the collapse rate from x of n runs: Beta(x + ½, n − x + ½) (Jeffreys).
 * A rate's 95th percentile over the draws is one bound for all the terms at once, where bounding
 * each term at 95% and stacking them holds far more often than 95% and costs detection.
 */
export function noiseUncertaintyOf(
  summary: NoiseSummary,
  options: UncertaintyOptions = DEFAULT_UNCERTAINTY,
): NoiseUncertainty {
  if (!Number.isInteger(options.draws) || options.draws < 1) {
    throw new RangeError(`draws must be a positive integer, not ${options.draws}`);
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    throw new RangeError(`confidence lies strictly between 0 and 1, not ${options.confidence}`);
  }
  const { student, grader, biasSpread } = summary;
  const { differences: d, variances: v } = biasSpread;
  const draw = sampler(createRng(options.seed));
  const draws: NoiseTerms[] = [];
  for (let i = 0; i < options.draws; i += 1) {
    const studentVariance = (student.df * student.body_sd ** 2) / draw.chiSquare(student.df);
    const graderVariance = (grader.df * grader.body_sd ** 2) / draw.chiSquare(grader.df);
    const tau2 = biasSpreadWhereQIs(d, v, draw.chiSquare(biasSpread.df));
    const fit = biasFitAt(d, v, tau2);
    draws.push({
      studentSd: Math.sqrt(studentVariance),
      graderSd: Math.sqrt(graderVariance),
      biasSpread: Math.sqrt(tau2),
      bias: fit.centre - draw.normal() * fit.se,
      collapseRate: draw.beta(grader.collapsed + 0.5, grader.runs - grader.collapsed + 0.5),
    });
  }
  return {
    estimate: {
      studentSd: student.body_sd,
      graderSd: grader.body_sd,
      biasSpread: biasSpread.spread,
      bias: biasSpread.mean,
      collapseRate: grader.collapsed / grader.runs,
    },
    draws,
    confidence: options.confidence,
    collapseDepth: grader.deepest_collapse,
    collapseLimit: grader.collapse_limit,
  };
}

/**
 * The noise model for noise terms, a collapse being `collapseDepth` deep. A student's network
 * was not measured, so its bias is βᵢ ~ N(μ_b, τ²); a shift of every grader run is the same as
 * the opposite shift of the student's run, so τ² joins σ_T² exactly. No collapse without a
 * measured one (no depth).
 */
export function noiseModelOf(terms: NoiseTerms, collapseDepth: number): NoiseModel {
  return {
    sigmaStudent: Math.sqrt(terms.studentSd ** 2 + terms.biasSpread ** 2),
    sigmaGrader: terms.graderSd,
    bias: terms.bias,
    firstRunCollapse:
      terms.collapseRate > 0 && collapseDepth > 0
        ? { rate: terms.collapseRate, depth: collapseDepth }
        : undefined,
  };
}

/** The noise model at the measurements' estimates. */
export function estimateModelOf(uncertainty: NoiseUncertainty): NoiseModel {
  return noiseModelOf(uncertainty.estimate, uncertainty.collapseDepth);
}

/** The uncertainty with every term, the estimate's and each draw's, changed by `change`. */
export function withTerms(
  uncertainty: NoiseUncertainty,
  change: (terms: NoiseTerms) => NoiseTerms,
): NoiseUncertainty {
  return {
    ...uncertainty,
    estimate: change(uncertainty.estimate),
    draws: uncertainty.draws.map(change),
  };
}

const allowedCache = new Map<string, number>();

/**
 * How many of n draws may lie above a bound at `confidence`. The bound is the k-th smallest
 * draw, k the smallest with P(Binomial(n, confidence) ≤ k − 1) ≥ confidence: with that
 * probability it is at or above the confidence-quantile the draws estimate, so the draws' own
 * sampling error cannot make a policy look fair (the order-statistic bound on a quantile).
 * With 8,000 draws at 95% it is the 7,633rd, the 95.4th percentile.
 */
export function allowedAbove(n: number, confidence: number): number {
  const key = `${n}/${confidence}`;
  const cached = allowedCache.get(key);
  if (cached !== undefined) return cached;
  // Start near the normal approximation's k and walk to the exact one.
  let k = Math.max(1, Math.floor(confidence * n));
  while (k > 1 && binomialCdf(k - 2, n, confidence) >= confidence) k -= 1;
  while (k <= n && binomialCdf(k - 1, n, confidence) < confidence) k += 1;
  const allowed = Math.max(0, n - Math.min(k, n));
  allowedCache.set(key, allowed);
  return allowed;
}

/** The one-sided upper bound at `confidence` of values drawn over the uncertainty. */
export function upperBound(values: readonly number[], confidence: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length - 1 - allowedAbove(sorted.length, confidence)] as number;
}

/** The one-sided lower bound at `confidence`: the mirror of upperBound. */
export function lowerBound(values: readonly number[], confidence: number): number {
  return -upperBound(
    values.map((x) => -x),
    confidence,
  );
}

/** Whether a draw is at least as noisy as `than` in every term that raises a false deduction. */
function isNoisier(t: NoiseTerms, than: NoiseTerms): boolean {
  const eff = (x: NoiseTerms) => x.studentSd ** 2 + x.biasSpread ** 2;
  return (
    eff(t) >= eff(than) &&
    t.graderSd >= than.graderSd &&
    t.collapseRate >= than.collapseRate &&
    t.bias <= than.bias
  );
}

function noisierThanEstimate(uncertainty: NoiseUncertainty): number {
  return uncertainty.draws.filter((t) => isNoisier(t, uncertainty.estimate)).length;
}

/**
 * The share of draws at least as noisy as the estimate in every term that raises a false
 * deduction (σ_T,eff, σ_G and the collapse rate up, the bias down).
 */
export function shareNoisierThanEstimate(uncertainty: NoiseUncertainty): number {
  return noisierThanEstimate(uncertainty) / uncertainty.draws.length;
}

/**
 * Whether every bound is at least its value at the estimates, for any rate that grows with each
 * noise term: true when more draws are noisier than the estimates in every term than a bound
 * lets lie above it. The searches may then start from the estimates' fair tolerance.
 */
export function boundsStartAtEstimate(uncertainty: NoiseUncertainty): boolean {
  return (
    noisierThanEstimate(uncertainty) >
    allowedAbove(uncertainty.draws.length, uncertainty.confidence)
  );
}
