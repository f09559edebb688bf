import { createRng } from '../train/rng.js';
import { summarizeNoise } from './noise.js';
import { boundOverDraws, honestClaimRates, loseFullAtLimit } from './rates.js';
import type {
  BaselineRecheckPolicy,
  NoiseModel,
  NoiseTerms,
  NoiseUncertainty,
  ReproductionPolicy,
  SeedNoiseMeasurements,
} from './types.js';
import { estimateModelOf, noiseModelOf, noiseUncertaintyOf, sampler } from './uncertainty.js';

const SIMULATION_STREAM = 7;

/** A truth to measure again and again, and what to bound each time. */
export interface CoverageCheck {
  truth: NoiseTerms;
  collapseDepth: number;
  /** Runs per network: student and grader side alike. */
  runs: number[];
  reproduction: ReproductionPolicy;
  baseline: BaselineRecheckPolicy;
  comparableWithin: number;
  /** How many measurements to simulate, with how many draws each. */
  measurements: number;
  draws: number;
  confidence: number;
  seed: number;
}

/** How often a rate's bound (and, for contrast, its estimate) was at least the true rate. */
export interface Coverage {
  trueRate: number;
  bounded: number;
  estimated: number;
  measurements: number;
}

/**
 * Measurements simulated from a truth shaped like the real ones: per network an engine bias
 * ~ N(μ_b, τ²), normal runs on both engines, grader runs that collapse at the truth's rate by
 * collapseDepth. Network means are spread apart as real networks are; they do not matter.
 */
export function simulateMeasurements(
  truth: NoiseTerms,
  collapseDepth: number,
  runs: readonly number[],
  seed: number,
): SeedNoiseMeasurements {
  // A stream of its own, so a measurement and the draws bounding it never share numbers.
  const rng = createRng(seed, SIMULATION_STREAM);
  const draw = sampler(rng);
  const uniform = () => rng.nextFloat();
  const engine = { name: 'simulated', version: 'simulated', threads: 1 };
  return {
    measured: `simulated (seed ${seed})`,
    machine: 'simulated',
    load_average: [],
    epochs: 3,
    train_images: 50_000,
    test_images: 10_000,
    batch_size: 64,
    lr: 0.001,
    optimizer: 'adam',
    engines: { student: engine, grader: engine },
    networks: runs.map((n, i) => {
      const centre = 45 + 2 * i;
      const bias = truth.bias + truth.biasSpread * draw.normal();
      const side = (mean: number, sd: number, collapseRate: number) =>
        Array.from({ length: n }, (_, s) => ({
          seed: s + 1,
          test_accuracy: mean + sd * draw.normal() - (uniform() < collapseRate ? collapseDepth : 0),
        }));
      return {
        name: `network ${i + 1}`,
        params: 0,
        student: side(centre, truth.studentSd, 0),
        grader: side(centre + bias, truth.graderSd, truth.collapseRate),
      };
    }),
  };
}

/**
 * Whether the joint bounds hold as often as they say: the truth is measured `measurements`
 * times, each measurement's bounds computed as the derivation computes them, and counted
 * against the true rates of task 4.1's false deductions and task 3.3's lost full marks.
 */
export function boundCoverage(check: CoverageCheck): {
  reproduction: Coverage;
  baseline: Coverage;
} {
  const truth = noiseModelOf(check.truth, check.collapseDepth);
  const falseDeduction = (m: NoiseModel) => honestClaimRates(check.reproduction, m).false_deduction;
  const loseFull = (m: NoiseModel) => loseFullAtLimit(check.baseline, check.comparableWithin, m);
  const reproduction: Coverage = {
    trueRate: falseDeduction(truth),
    bounded: 0,
    estimated: 0,
    measurements: check.measurements,
  };
  const baseline: Coverage = {
    trueRate: loseFull(truth),
    bounded: 0,
    estimated: 0,
    measurements: check.measurements,
  };
  // Each measurement is bounded as the derivation bounds it, but only the two rates judged.
  const count = (coverage: Coverage, noise: NoiseUncertainty, rateOf: typeof falseDeduction) => {
    if (boundOverDraws(noise, rateOf) >= coverage.trueRate) coverage.bounded += 1;
    if (rateOf(estimateModelOf(noise)) >= coverage.trueRate) coverage.estimated += 1;
  };
  for (let i = 0; i < check.measurements; i += 1) {
    const seed = check.seed + i;
    const measured = simulateMeasurements(check.truth, check.collapseDepth, check.runs, seed);
    const noise = noiseUncertaintyOf(summarizeNoise(measured), {
      draws: check.draws,
      confidence: check.confidence,
      seed,
    });
    count(reproduction, noise, falseDeduction);
    count(baseline, noise, loseFull);
  }
  return { reproduction, baseline };
}
