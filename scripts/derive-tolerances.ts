/**
 * Derives tasks 3.3 and 4.1's tolerances and re-check policies from measured seed noise
 * (docs/fairness.md) and prints the derivation as Markdown.
 *     npx tsx scripts/derive-tolerances.ts [FIXTURE] [--write] [--what-limits] [--coverage N]
 * FIXTURE defaults to rubric/noise/seed-noise.json (written by bench/seed-noise.ts). --write
 * also puts the policies and the noise figures into rubric/rubric.json; --what-limits adds the
 * table of task 4.1's detection with one term of the noise model changed at a time; --coverage N
 * measures the estimates again N times (simulated) and says how often the joint bounds held.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BaselineNoise,
  boundCoverage,
  DEFAULT_BASELINE_TARGETS,
  DEFAULT_GRID,
  DEFAULT_REPRODUCTION_TARGETS,
  type DerivedBaseline,
  type DerivedReproduction,
  deriveBaselinePolicy,
  deriveReproductionPolicy,
  judgeHonestSeeds,
  limitingTerms,
  measuredUnderClaim,
  NoFairPolicyError,
  NoiseMeasurementsError,
  parseSeedNoise,
  type ReproductionNoise,
  renderCoverage,
  renderLimitingTerms,
  renderNoiseReport,
  summarizeNoise,
  withDerivedTolerances,
} from '../src/fairness/index.js';
import { isEntryPoint } from './entry-point.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RUBRIC_FILE = path.join(ROOT, 'rubric', 'rubric.json');
export const NOISE_FILE = path.join(ROOT, 'rubric', 'noise', 'seed-noise.json');

interface TaskJson {
  number: string;
  comparable_within_pp?: number;
  noise?: Partial<ReproductionNoise> | Partial<BaselineNoise>;
  [key: string]: unknown;
}

/** JSON with small objects and arrays on one line, as rubric/rubric.json is written by hand. */
export function formatJson(value: unknown, indent = '', width = 100): string {
  const flat = JSON.stringify(value, null, 1)
    .replace(/\n\s*/g, ' ')
    .replace(/\[ /g, '[')
    .replace(/ \]/g, ']');
  if (typeof value !== 'object' || value === null || indent.length + flat.length <= width - 10) {
    if (indent !== '' || typeof value !== 'object' || value === null) return flat;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + formatJson(v, inner, width)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner, width)}`).join(',\n')}\n${indent}}`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      write: { type: 'boolean', default: false },
      'what-limits': { type: 'boolean', default: false },
      coverage: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npx tsx scripts/derive-tolerances.ts [FIXTURE] [--write] [--what-limits] [--coverage N]\n',
    );
    return 0;
  }
  const file = path.resolve(positionals[0] ?? NOISE_FILE);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    process.stderr.write(
      `cannot read ${path.relative(process.cwd(), file)}: run bench/seed-noise.ts first, or name a measurement file\n`,
    );
    return 1;
  }
  const rubric = JSON.parse(await readFile(RUBRIC_FILE, 'utf8')) as {
    tasks: TaskJson[];
  } & Record<string, unknown>;
  const task41 = rubric.tasks.find((t) => t.number === '4.1');
  const task33 = rubric.tasks.find((t) => t.number === '3.3');
  const noise41 = (task41?.noise ?? {}) as Partial<ReproductionNoise>;
  const noise33 = (task33?.noise ?? {}) as Partial<BaselineNoise>;
  const comparable = task33?.comparable_within_pp ?? 2;
  const reproductionTargets = noise41.targets ?? DEFAULT_REPRODUCTION_TARGETS;
  const baselineTargets = noise33.targets ?? DEFAULT_BASELINE_TARGETS;

  let measurements: ReturnType<typeof parseSeedNoise>;
  let summary: ReturnType<typeof summarizeNoise>;
  try {
    measurements = parseSeedNoise(JSON.parse(text));
    // A network without runs on one side (a measurement still under way) is named here too.
    summary = summarizeNoise(measurements);
  } catch (error) {
    const why =
      error instanceof NoiseMeasurementsError || error instanceof SyntaxError
        ? error.message
        : String(error);
    process.stderr.write(`${path.relative(process.cwd(), file)}: ${why}\n`);
    return 1;
  }
  const attempt = <T>(derive: () => T): T | { error: string } => {
    try {
      return derive();
    } catch (error) {
      if (error instanceof NoFairPolicyError) return { error: error.message };
      throw error;
    }
  };
  const reproduction = attempt<DerivedReproduction>(() =>
    deriveReproductionPolicy(measurements, reproductionTargets, noise41.grid ?? DEFAULT_GRID),
  );
  const baseline = attempt<DerivedBaseline>(() =>
    deriveBaselinePolicy(measurements, comparable, baselineTargets, noise33.grid ?? DEFAULT_GRID),
  );
  process.stdout.write(
    renderNoiseReport({
      measurements,
      summary,
      reproduction,
      baseline,
      comparableWithin: comparable,
      honest: 'error' in reproduction ? null : judgeHonestSeeds(measurements, reproduction.policy),
      targets: {
        maxFalseDeduction: reproductionTargets.max_false_deduction,
        fabricatedOffBy: reproductionTargets.fabricated_off_by_pp,
        belowLimit: baselineTargets.below_limit_pp,
      },
    }),
  );
  if (values['what-limits'] && !('error' in reproduction)) {
    const grid = noise41.grid ?? DEFAULT_GRID;
    const terms = limitingTerms(
      reproduction.noise,
      measuredUnderClaim(measurements, grid.step_pp),
      reproductionTargets,
      grid,
    );
    process.stdout.write(
      `\n${renderLimitingTerms(terms, reproductionTargets.fabricated_off_by_pp)}`,
    );
  }
  if (values.coverage !== undefined && !('error' in reproduction) && !('error' in baseline)) {
    const times = Number(values.coverage);
    if (!Number.isInteger(times) || times < 1) {
      process.stderr.write(`--coverage takes a positive whole number, not ${values.coverage}\n`);
      return 1;
    }
    const noise = reproduction.noise;
    const result = boundCoverage({
      truth: noise.estimate,
      collapseDepth: noise.collapseDepth,
      runs: measurements.networks.map((n) => Math.min(n.student.length, n.grader.length)),
      reproduction: reproduction.policy,
      baseline: baseline.policy,
      comparableWithin: comparable,
      measurements: times,
      // The derivation's own procedure, draws and all.
      draws: noise.draws.length,
      confidence: noise.confidence,
      seed: 1000,
    });
    process.stdout.write(`\n${renderCoverage(result, noise.confidence)}`);
  }
  if (!values.write) return 0;
  if ('error' in reproduction || 'error' in baseline) {
    process.stderr.write('no fair policy was found, so rubric/rubric.json was left as it is\n');
    return 1;
  }
  const updated = withDerivedTolerances(rubric, measurements, reproduction, baseline);
  await writeFile(RUBRIC_FILE, `${formatJson(updated)}\n`);
  process.stderr.write(
    `wrote rubric/rubric.json (remember the version: results record it, calibrations are keyed by it)\n`,
  );
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main();
}
