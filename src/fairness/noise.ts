import { NoiseMeasurementsError } from './errors.js';
import {
  chiSquareQuantile,
  mean,
  median,
  rateUpperBound,
  robustSd,
  sampleSd,
  sdUpperBound,
} from './normal.js';
import type {
  BiasSpread,
  NetworkSpread,
  NoiseSummary,
  PooledSpread,
  SeedNoiseMeasurements,
  SeedRun,
  SpreadFigures,
} from './types.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberAt(value: Record<string, unknown>, key: string, path: string): number {
  const v = value[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new NoiseMeasurementsError(`${path}/${key}`, 'expected a finite number');
  }
  return v;
}

function stringAt(value: Record<string, unknown>, key: string, path: string): string {
  const v = value[key];
  if (typeof v !== 'string') throw new NoiseMeasurementsError(`${path}/${key}`, 'expected text');
  return v;
}

function runsAt(value: Record<string, unknown>, key: string, path: string): SeedRun[] {
  const runs = value[key];
  if (!Array.isArray(runs)) throw new NoiseMeasurementsError(`${path}/${key}`, 'expected a list');
  return runs.map((run: unknown, i) => {
    const where = `${path}/${key}/${i}`;
    if (!isRecord(run)) throw new NoiseMeasurementsError(where, 'expected {seed, test_accuracy}');
    const accuracy = numberAt(run, 'test_accuracy', where);
    if (accuracy < 0 || accuracy > 100) {
      throw new NoiseMeasurementsError(`${where}/test_accuracy`, 'a percentage lies in [0, 100]');
    }
    return { seed: numberAt(run, 'seed', where), test_accuracy: accuracy };
  });
}

/**
 * Narrows parsed JSON to seed-noise measurements, or throws a NoiseMeasurementsError naming the
 * first field that is wrong. Only what the derivation reads is checked strictly.
 */
export function parseSeedNoise(value: unknown): SeedNoiseMeasurements {
  if (!isRecord(value)) throw new NoiseMeasurementsError('', 'expected a JSON object');
  const networks = value.networks;
  if (!Array.isArray(networks) || networks.length === 0) {
    throw new NoiseMeasurementsError('/networks', 'expected a non-empty list of networks');
  }
  const engines = value.engines;
  if (!isRecord(engines) || !isRecord(engines.student) || !isRecord(engines.grader)) {
    throw new NoiseMeasurementsError('/engines', 'expected {student, grader}');
  }
  const engine = (e: Record<string, unknown>, path: string) => ({
    name: stringAt(e, 'name', path),
    version: stringAt(e, 'version', path),
    threads: numberAt(e, 'threads', path),
  });
  const loadAverage = value.load_average;
  return {
    measured: stringAt(value, 'measured', ''),
    machine: stringAt(value, 'machine', ''),
    load_average: Array.isArray(loadAverage)
      ? loadAverage.filter((x): x is number => typeof x === 'number')
      : [],
    epochs: numberAt(value, 'epochs', ''),
    train_images: numberAt(value, 'train_images', ''),
    test_images: numberAt(value, 'test_images', ''),
    batch_size: numberAt(value, 'batch_size', ''),
    lr: numberAt(value, 'lr', ''),
    optimizer: stringAt(value, 'optimizer', ''),
    engines: {
      student: engine(engines.student, '/engines/student'),
      grader: engine(engines.grader, '/engines/grader'),
    },
    networks: networks.map((n: unknown, i) => {
      const path = `/networks/${i}`;
      if (!isRecord(n)) throw new NoiseMeasurementsError(path, 'expected a network object');
      return {
        name: stringAt(n, 'name', path),
        params: numberAt(n, 'params', path),
        student: runsAt(n, 'student', path),
        grader: runsAt(n, 'grader', path),
      };
    }),
  };
}

/** A run this many pooled body sds below its network's median collapsed; it is not noise. */
export const COLLAPSE_SDS = 3;

interface EngineRuns {
  where: string;
  values: number[];
}

function pooledOf(groups: ReadonlyArray<{ n: number; sd: number }>): { sd: number; df: number } {
  let squares = 0;
  let df = 0;
  for (const g of groups) {
    squares += (g.n - 1) * g.sd ** 2;
    df += g.n - 1;
  }
  return { sd: df > 0 ? Math.sqrt(squares / df) : 0, df };
}

/**
 * One engine's runs, network by network, and pooled. A run more than COLLAPSE_SDS pooled sds
 * below its network's median collapsed with its seed. The sd starts from every run (inflated by
 * any collapse, so only clear ones are cut) and is re-pooled over the remaining runs until the
 * set stops changing; normal data lose a run to it about once in 700. The normal model is
 * fitted to the remaining runs (the body) with their full degrees of freedom, and the
 * collapses are counted (rate, depth) so the rates can carry them separately.
 */
function engineSpread(
  groups: readonly EngineRuns[],
  engine: string,
): { figures: SpreadFigures[]; pooled: PooledSpread } {
  for (const g of groups) {
    if (g.values.length === 0) throw new NoiseMeasurementsError(g.where, 'has no runs');
  }
  const centres = groups.map((g) => median(g.values));
  const bodyOf = (limit: number) =>
    groups.map((g, i) => g.values.filter((v) => v >= (centres[i] as number) - limit));
  const pooledBody = (bodies: number[][]) =>
    pooledOf(bodies.map((b) => ({ n: b.length, sd: sampleSd(b) })));
  let bodies = groups.map((g) => g.values);
  let limit = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 50; round += 1) {
    const next = COLLAPSE_SDS * pooledBody(bodies).sd;
    const nextBodies = bodyOf(next);
    const same = nextBodies.every((b, i) => b.length === (bodies[i] as number[]).length);
    limit = next;
    bodies = nextBodies;
    if (same) break;
  }
  const body = pooledBody(bodies);
  if (body.df === 0) {
    throw new NoiseMeasurementsError(
      `/networks/*/${engine}`,
      'needs at least one network with two or more runs that did not collapse',
    );
  }
  let runs = 0;
  let collapsed = 0;
  let deepest = 0;
  const figures = groups.map((g, i): SpreadFigures => {
    const kept = bodies[i] as number[];
    const bodyMean = mean(kept);
    const fallen = g.values.filter((v) => v < (centres[i] as number) - limit);
    runs += g.values.length;
    collapsed += fallen.length;
    for (const v of fallen) deepest = Math.max(deepest, bodyMean - v);
    return {
      runs: g.values.length,
      mean: mean(g.values),
      sd: sampleSd(g.values),
      median: centres[i] as number,
      robust_sd: robustSd(g.values),
      collapsed: fallen.length,
      body_mean: bodyMean,
      body_sd: sampleSd(kept),
    };
  });
  const all = pooledOf(figures.map((f) => ({ n: f.runs, sd: f.sd })));
  const robust = pooledOf(figures.map((f) => ({ n: f.runs, sd: f.robust_sd })));
  return {
    figures,
    pooled: {
      sd: all.sd,
      robust_sd: robust.sd,
      collapse_limit: limit,
      body_sd: body.sd,
      df: body.df,
      upper: sdUpperBound(body.sd, body.df),
      runs,
      collapsed,
      collapse_rate_upper: rateUpperBound(collapsed, runs),
      deepest_collapse: deepest,
    },
  };
}

/** The random-effects fit at τ²: the weighted mean of the dᵢ, its se, and the generalized Q. */
export function biasFitAt(
  differences: readonly number[],
  variances: readonly number[],
  tau2: number,
): { centre: number; se: number; q: number } {
  const w = variances.map((vi) => 1 / (vi + tau2));
  const total = w.reduce((a, b) => a + b, 0);
  const centre = w.reduce((a, wi, i) => a + wi * (differences[i] as number), 0) / total;
  const q = w.reduce((a, wi, i) => a + wi * ((differences[i] as number) - centre) ** 2, 0);
  return { centre, q, se: Math.sqrt(1 / total) };
}

/**
 * The τ² at which the generalized Q falls to `target` (Q falls as τ² grows); 0 when it is at or
 * below that already at τ = 0. With target χ²₀.₀₅(N − 1) this is τ²'s Q-profile upper bound; with
 * a chi-square draw, a draw of τ² (its generalized pivotal quantity).
 */
export function biasSpreadWhereQIs(
  differences: readonly number[],
  variances: readonly number[],
  target: number,
): number {
  const q = (tau2: number) => biasFitAt(differences, variances, tau2).q;
  if (q(0) <= target) return 0;
  let high = 1;
  while (q(high) > target) high *= 2;
  let low = 0;
  for (let i = 0; i < 80; i += 1) {
    const middle = (low + high) / 2;
    if (q(middle) > target) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * The engine bias as a random effect over networks (DerSimonian–Laird's model): dᵢ, the
 * difference of network i's body means, ~ N(μ_b, vᵢ + τ²) with vᵢ its sampling variance from
 * the pooled body sds. τ² is estimated by DerSimonian and Laird's moment estimator,
 * (Q − (N − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ) with wᵢ = 1/vᵢ, and bounded above at 95% by the Q-profile:
 * the τ² at which Σ wᵢ(dᵢ − μ̂)², wᵢ = 1/(vᵢ + τ²), falls to χ²₀.₀₅(N − 1).
 */
function biasSpreadOf(
  networks: readonly NetworkSpread[],
  student: PooledSpread,
  grader: PooledSpread,
): BiasSpread {
  if (networks.length < 2) {
    throw new NoiseMeasurementsError(
      '/networks',
      'needs at least two networks to tell how the engine bias varies between networks',
    );
  }
  const d = networks.map((n) => n.body_difference);
  const v = networks.map(
    (n) =>
      student.body_sd ** 2 / (n.student.runs - n.student.collapsed) +
      grader.body_sd ** 2 / (n.grader.runs - n.grader.collapsed),
  );
  const df = networks.length - 1;
  const atZero = biasFitAt(d, v, 0);
  const w = v.map((vi) => 1 / vi);
  const sum = w.reduce((a, b) => a + b, 0);
  const sumSquares = w.reduce((a, b) => a + b * b, 0);
  const tau2 = Math.max(0, (atZero.q - df) / (sum - sumSquares / sum));
  const estimate = biasFitAt(d, v, tau2);
  const upper = biasSpreadWhereQIs(d, v, chiSquareQuantile(0.05, df));
  return {
    mean: estimate.centre,
    mean_se: estimate.se,
    spread: Math.sqrt(tau2),
    spread_upper: Math.sqrt(upper),
    q: atZero.q,
    df,
    differences: d,
    variances: v,
  };
}

/**
 * Per network and engine: mean, sample sd, median, robust (MAD) sd, collapsed runs and the
 * body's mean and sd. Per engine: the body sds pooled over networks and their 95% upper bound
 * (σ_T for the student engine, σ_G for the grader's), and the collapses' rate and depth. And
 * the engine bias as a random effect over networks. Collapses only ever go down (a seed whose
 * run trains badly); the under-claim tolerance covers the student's from the measurements, and
 * the grader's enter the rates as a mixture (noiseModel).
 */
export function summarizeNoise(measurements: SeedNoiseMeasurements): NoiseSummary {
  const student = engineSpread(
    measurements.networks.map((n, i) => ({
      where: `/networks/${i}/student`,
      values: n.student.map((r) => r.test_accuracy),
    })),
    'student',
  );
  const grader = engineSpread(
    measurements.networks.map((n, i) => ({
      where: `/networks/${i}/grader`,
      values: n.grader.map((r) => r.test_accuracy),
    })),
    'grader',
  );
  const networks: NetworkSpread[] = measurements.networks.map((n, i) => {
    const s = student.figures[i] as SpreadFigures;
    const g = grader.figures[i] as SpreadFigures;
    return {
      name: n.name,
      params: n.params,
      student: s,
      grader: g,
      difference: g.mean - s.mean,
      median_difference: g.median - s.median,
      body_difference: g.body_mean - s.body_mean,
    };
  });
  return {
    networks,
    student: student.pooled,
    grader: grader.pooled,
    sigmaStudent: student.pooled.upper,
    sigmaGrader: grader.pooled.upper,
    biasSpread: biasSpreadOf(networks, student.pooled, grader.pooled),
  };
}
