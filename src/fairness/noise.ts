import { NoiseMeasurementsError } from './errors.js';
import { MAD_EFFICIENCY, mean, median, robustSd, sampleSd, sdUpperBound } from './normal.js';
import type {
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

function spread(runs: readonly SeedRun[], where: string): SpreadFigures {
  if (runs.length === 0) throw new NoiseMeasurementsError(where, 'has no runs');
  const values = runs.map((r) => r.test_accuracy);
  return {
    runs: values.length,
    mean: mean(values),
    sd: sampleSd(values),
    median: median(values),
    robust_sd: robustSd(values),
  };
}

function pooled(figures: readonly SpreadFigures[], engine: string): PooledSpread {
  let squares = 0;
  let robustSquares = 0;
  let df = 0;
  for (const f of figures) {
    squares += (f.runs - 1) * f.sd ** 2;
    robustSquares += (f.runs - 1) * f.robust_sd ** 2;
    df += f.runs - 1;
  }
  if (df === 0) {
    throw new NoiseMeasurementsError(
      `/networks/*/${engine}`,
      'needs at least one network with two or more seeds to estimate the spread',
    );
  }
  const sd = Math.sqrt(squares / df);
  const robust = Math.sqrt(robustSquares / df);
  return {
    sd,
    robust_sd: robust,
    df,
    upper: sdUpperBound(robust, Math.max(1, MAD_EFFICIENCY * df)),
  };
}

/**
 * Per network and engine, mean, sample sd, median and robust (MAD) sd; per engine the sds pooled
 * over networks and the robust one's 95% upper bound (σ_T for the student engine, σ_G for the
 * grader's); and the engine bias b, the largest |median_grader − median_student| over networks.
 * Robust because both engines' runs have a heavy lower tail (a run collapses with its seed),
 * which the under-claim tolerance covers from the measurements instead; the normal model is for
 * the rest.
 */
export function summarizeNoise(measurements: SeedNoiseMeasurements): NoiseSummary {
  const networks: NetworkSpread[] = measurements.networks.map((n, i) => {
    const student = spread(n.student, `/networks/${i}/student`);
    const grader = spread(n.grader, `/networks/${i}/grader`);
    return {
      name: n.name,
      params: n.params,
      student,
      grader,
      difference: grader.mean - student.mean,
      median_difference: grader.median - student.median,
    };
  });
  const student = pooled(
    networks.map((n) => n.student),
    'student',
  );
  const grader = pooled(
    networks.map((n) => n.grader),
    'grader',
  );
  return {
    networks,
    student,
    grader,
    sigmaStudent: student.upper,
    sigmaGrader: grader.upper,
    bias: Math.max(...networks.map((n) => Math.abs(n.median_difference))),
  };
}
