import { createRng } from '../train/rng.js';
import { summarizeNoise } from './noise.js';
import {
  baselineRates,
  jointBaselineRates,
  jointReproductionRates,
  reproductionRates,
} from './rates.js';
import type {
  BaselineRecheckPolicy,
  NoiseTerms,
  ReproductionPolicy,
  SeedNoiseMeasurements,
} from './types.js';
import { noiseModelOf, noiseUncertaintyOf, sampler } from './uncertainty.js';

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
  const options = { draws: check.draws, confidence: check.confidence };
  const truthModel = noiseModelOf(check.truth, {
    estimate: check.truth,
    draws: [],
    confidence: check.confidence,
    collapseDepth: check.collapseDepth,
  });
  const trueFalseDeduction = reproductionRates(check.reproduction, truthModel, 0).false_deduction;
  const trueLoseFull = baselineRates(
    check.baseline,
    check.comparableWithin,
    truthModel.sigmaGrader,
    0,
    truthModel.firstRunCollapse,
  ).lose_full_at_limit;
  const reproduction: Coverage = {
    trueRate: trueFalseDeduction,
    bounded: 0,
    estimated: 0,
    measurements: 0,
  };
  const baseline: Coverage = { trueRate: trueLoseFull, bounded: 0, estimated: 0, measurements: 0 };
  for (let i = 0; i < check.measurements; i += 1) {
    const measured = simulateMeasurements(
      check.truth,
      check.collapseDepth,
      check.runs,
      check.seed + i,
    );
    const noise = noiseUncertaintyOf(summarizeNoise(measured), {
      ...options,
      seed: check.seed + i,
    });
    const r = jointReproductionRates(check.reproduction, noise, 0);
    const b = jointBaselineRates(check.baseline, check.comparableWithin, noise, 0);
    reproduction.measurements += 1;
    baseline.measurements += 1;
    if (r.false_deduction_upper >= trueFalseDeduction) reproduction.bounded += 1;
    if (r.false_deduction >= trueFalseDeduction) reproduction.estimated += 1;
    if (b.lose_full_at_limit_upper >= trueLoseFull) baseline.bounded += 1;
    if (b.lose_full_at_limit >= trueLoseFull) baseline.estimated += 1;
  }
  return { reproduction, baseline };
}
