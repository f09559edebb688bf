import type { HonestSeedVerdict } from './audit.js';
import { formatRate } from './format.js';
import { reproductionRates } from './rates.js';
import type {
  BaselineNoise,
  DerivedBaseline,
  DerivedReproduction,
  NoiseSummary,
  ReproductionNoise,
  SeedNoiseMeasurements,
} from './types.js';

const pp = (x: number) => x.toFixed(2);

/** A rubric task as the rubric file holds it: only the fields this module rewrites are typed. */
interface TaskJson {
  number: string;
  reproduction?: unknown;
  recheck?: unknown;
  noise?: unknown;
  [key: string]: unknown;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The rubric file with task 4.1's and 3.3's policies and noise envelopes replaced by the derived
 * ones (targets and grid kept as the rubric states them). Pure: the caller writes it.
 */
export function withDerivedTolerances(
  rubric: { tasks: TaskJson[] } & Record<string, unknown>,
  measurements: SeedNoiseMeasurements,
  summary: NoiseSummary,
  reproduction: DerivedReproduction,
  baseline: DerivedBaseline,
): typeof rubric {
  const tasks = rubric.tasks.map((task) => {
    if (task.number === '4.1') {
      const previous = (task.noise ?? {}) as Partial<ReproductionNoise>;
      const noise: ReproductionNoise = {
        source: previous.source ?? 'noise/seed-noise.json',
        measured: measurements.measured,
        sigma_student_pp: round(summary.sigmaStudent, 4),
        sigma_grader_pp: round(summary.sigmaGrader, 4),
        engine_bias_pp: round(summary.bias, 4),
        false_deduction_rate: round(reproduction.rates.false_deduction, 6),
        detection_rate: round(reproduction.rates.detection, 6),
        expected_extra_runs: round(reproduction.rates.expected_extra_runs, 6),
        targets: previous.targets as ReproductionNoise['targets'],
        grid: previous.grid as ReproductionNoise['grid'],
      };
      return { ...task, reproduction: { ...reproduction.policy }, noise };
    }
    if (task.number === '3.3') {
      const previous = (task.noise ?? {}) as Partial<BaselineNoise>;
      const noise: BaselineNoise = {
        source: previous.source ?? 'noise/seed-noise.json',
        measured: measurements.measured,
        sigma_grader_pp: round(baseline.sigmaGrader, 4),
        lose_full_at_limit_rate: round(baseline.rates.lose_full_at_limit, 6),
        full_when_below_rate: round(baseline.rates.full_when_below, 6),
        expected_extra_runs_at_limit: round(baseline.rates.expected_extra_runs_at_limit, 6),
        targets: previous.targets as BaselineNoise['targets'],
        grid: previous.grid as BaselineNoise['grid'],
      };
      return { ...task, recheck: { ...baseline.policy }, noise };
    }
    return task;
  });
  return { ...rubric, tasks };
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${pp(Math.abs(x))}`;
}

function lowest(m: SeedNoiseMeasurements, network: string, side: 'student' | 'grader'): number {
  const runs = m.networks.find((n) => n.name === network)?.[side] ?? [];
  return Math.min(...runs.map((r) => r.test_accuracy));
}

/** The derivation as Markdown for docs/fairness.md: spread per network, policies, rates, audit. */
export function renderNoiseReport(input: {
  measurements: SeedNoiseMeasurements;
  summary: NoiseSummary;
  reproduction: DerivedReproduction | { error: string };
  baseline: DerivedBaseline | { error: string };
  comparableWithin: number;
  honest: HonestSeedVerdict[] | null;
  targets: { maxFalseDeduction: number; fabricatedOffBy: number; belowLimit: number };
}): string {
  const { measurements: m, summary: s } = input;
  const e = m.engines;
  const lines: string[] = [];
  lines.push(
    `Measured ${m.measured} on ${m.machine} (load ${m.load_average.map((x) => x.toFixed(2)).join(', ')}): ` +
      `${m.epochs} epochs, ${m.train_images} training / ${m.test_images} test images, ${m.optimizer} lr ${m.lr}, batch ${m.batch_size}; ` +
      `student engine ${e.student.name} ${e.student.version} (${e.student.threads} threads), grader ${e.grader.name} ${e.grader.version} (${e.grader.threads} threads).`,
    '',
    `| network | params | ${e.student.name} seeds | mean % | sd | median % | robust sd | ${e.grader.name} seeds | mean % | sd | median % | robust sd | grader − student (medians) | lowest run − median (${e.student.name}, ${e.grader.name}) |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const n of s.networks) {
    lines.push(
      `| ${n.name} | ${n.params} | ${n.student.runs} | ${pp(n.student.mean)} | ${pp(n.student.sd)} | ${pp(n.student.median)} | ${pp(n.student.robust_sd)} | ${n.grader.runs} | ${pp(n.grader.mean)} | ${pp(n.grader.sd)} | ${pp(n.grader.median)} | ${pp(n.grader.robust_sd)} | ${signed(n.median_difference)} pp | ${signed(lowest(m, n.name, 'student') - n.student.median)}, ${signed(lowest(m, n.name, 'grader') - n.grader.median)} |`,
    );
  }
  lines.push(
    '',
    `Pooled sd: ${e.student.name} ${pp(s.student.sd)} pp, robust ${pp(s.student.robust_sd)} pp (${s.student.df} df, 95% upper bound on the robust sd σ_T = ${pp(s.sigmaStudent)}), ` +
      `${e.grader.name} ${pp(s.grader.sd)} pp, robust ${pp(s.grader.robust_sd)} pp (${s.grader.df} df, σ_G = ${pp(s.sigmaGrader)}); engine bias b = ${pp(s.bias)} pp (largest difference of medians).`,
    '',
  );
  const r = input.reproduction;
  if ('error' in r) {
    lines.push(`**Task 4.1: no fair policy.** ${r.error}`);
  } else {
    const p = r.policy;
    lines.push(
      '| task 4.1 | value |',
      '|---|--:|',
      `| pass within | ${pp(p.pass_within_pp)} pp |`,
      `| re-check within | ${pp(p.recheck_within_pp)} pp |`,
      `| re-check runs | ${p.recheck_runs} |`,
      `| mean within | ${pp(p.mean_within_pp)} pp |`,
      `| a claim below the run holds down to | ${pp(p.under_claim_within_pp)} pp below |`,
      `| false deductions (honest claims) | ${formatRate(r.rates.false_deduction)} (target < ${formatRate(input.targets.maxFalseDeduction)}) |`,
      `| detection of a claim ${input.targets.fabricatedOffBy} pp above the student's run | ${formatRate(r.rates.detection)} |`,
      `| detection of a claim ${2 * input.targets.fabricatedOffBy} pp above | ${formatRate(reproductionRates(p, r.noise, 2 * input.targets.fabricatedOffBy).detection)} |`,
      `| re-check runs per honest claim | ${r.rates.expected_extra_runs.toFixed(3)} |`,
    );
  }
  lines.push('');
  const b = input.baseline;
  if ('error' in b) {
    lines.push(`**Task 3.3: no fair re-check.** ${b.error}`);
  } else {
    const p = b.policy;
    lines.push(
      '| task 3.3 | value |',
      '|---|--:|',
      `| full marks within (rubric) | ${pp(input.comparableWithin)} pp |`,
      `| re-check up to | ${pp(input.comparableWithin + p.recheck_beyond_pp)} pp below |`,
      `| re-check runs | ${p.recheck_runs} |`,
      `| extra room for the mean | ${pp(p.mean_margin_pp)} pp |`,
      `| a network exactly at the limit loses full marks | ${formatRate(b.rates.lose_full_at_limit)} |`,
      `| a network ${input.targets.belowLimit} pp below the limit gets full marks | ${formatRate(b.rates.full_when_below)} |`,
      `| re-check runs for a network at the limit | ${b.rates.expected_extra_runs_at_limit.toFixed(3)} |`,
    );
  }
  if (input.honest) {
    const losing = input.honest.filter((h) => !h.judgement.holds);
    const rechecked = input.honest.filter((h) => h.judgement.outcome === 'rechecked');
    lines.push(
      '',
      losing.length === 0
        ? `Every one of the ${input.honest.length} ${e.student.name} runs, reported as an honest claim against the ${e.grader.name} runs of its network, holds (${rechecked.length} after a re-check).`
        : `**${losing.length} of ${input.honest.length} honest ${e.student.name} runs would lose a point:** ${losing.map((h) => `${h.network} seed ${h.seed} (${h.claimed.toFixed(2)}%)`).join(', ')}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
