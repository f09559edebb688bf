import type { HonestSeedVerdict } from './audit.js';
import type { Coverage } from './coverage.js';
import { formatRate } from './format.js';
import type { LimitingTerm } from './limits.js';
import { reproductionRates } from './rates.js';
import type {
  BaselineNoise,
  DerivedBaseline,
  DerivedReproduction,
  NetworkSpread,
  NoiseSummary,
  ReproductionNoise,
  SeedNoiseMeasurements,
} from './types.js';
import { estimateModelOf, shareNoisierThanEstimate } from './uncertainty.js';

const pp = (x: number) => x.toFixed(2);
/** A confidence as people write it: 0.95 → "95%". */
const percent = (x: number) => `${Number((x * 100).toFixed(2))}%`;
/** An upper bound held to a target: three decimals, so 0.9995% does not read as 1.00%. */
const bound = (x: number) => `${(x * 100).toFixed(3)}%`;

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
  reproduction: DerivedReproduction,
  baseline: DerivedBaseline,
): typeof rubric {
  const tasks = rubric.tasks.map((task) => {
    if (task.number === '4.1') {
      const previous = (task.noise ?? {}) as Partial<ReproductionNoise>;
      const { estimate, confidence } = reproduction.noise;
      const rates = reproduction.rates;
      const noise: ReproductionNoise = {
        source: previous.source ?? 'noise/seed-noise.json',
        measured: measurements.measured,
        sigma_student_pp: round(estimate.studentSd, 4),
        sigma_grader_pp: round(estimate.graderSd, 4),
        engine_bias_pp: round(estimate.bias, 4),
        engine_bias_spread_pp: round(estimate.biasSpread, 4),
        grader_collapse_rate: round(estimate.collapseRate, 6),
        grader_collapse_depth_pp: round(reproduction.noise.collapseDepth, 4),
        confidence,
        false_deduction_rate: round(rates.false_deduction, 6),
        false_deduction_upper: round(rates.false_deduction_upper, 6),
        detection_rate: round(rates.detection, 6),
        detection_lower: round(rates.detection_lower, 6),
        expected_extra_runs: round(rates.expected_extra_runs, 6),
        targets: previous.targets as ReproductionNoise['targets'],
        grid: previous.grid as ReproductionNoise['grid'],
      };
      return { ...task, reproduction: { ...reproduction.policy }, noise };
    }
    if (task.number === '3.3') {
      const previous = (task.noise ?? {}) as Partial<BaselineNoise>;
      const rates = baseline.rates;
      const noise: BaselineNoise = {
        source: previous.source ?? 'noise/seed-noise.json',
        measured: measurements.measured,
        sigma_grader_pp: round(baseline.noise.estimate.graderSd, 4),
        confidence: baseline.noise.confidence,
        lose_full_at_limit_rate: round(rates.lose_full_at_limit, 6),
        lose_full_at_limit_upper: round(rates.lose_full_at_limit_upper, 6),
        full_when_below_rate: round(rates.full_when_below, 6),
        full_when_below_upper: round(rates.full_when_below_upper, 6),
        expected_extra_runs_at_limit: round(rates.expected_extra_runs_at_limit, 6),
        targets: previous.targets as BaselineNoise['targets'],
        grid: previous.grid as BaselineNoise['grid'],
      };
      return { ...task, recheck: { ...baseline.policy }, noise };
    }
    return task;
  });
  return { ...rubric, tasks };
}

/** The table row of a policy's collapse limit. */
function collapseRow(limit: number | undefined): string {
  const value = limit === undefined ? 'none left out' : `${pp(limit)} pp`;
  return `| a re-check leaves out a run below the runs' median by more than | ${value} | |`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${pp(Math.abs(x))}`;
}

function accuracies(
  m: SeedNoiseMeasurements,
  network: string,
  side: 'student' | 'grader',
): number[] {
  return (m.networks.find((n) => n.name === network)?.[side] ?? []).map((r) => r.test_accuracy);
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
    `| network | params | ${e.student.name} seeds | mean % | sd | median % | collapsed | body mean % | body sd | ${e.grader.name} seeds | mean % | sd | median % | collapsed | body mean % | body sd | grader − student (body means) |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  const side = (f: NetworkSpread['student'], runs: number[], limit: number) => {
    const fallen = runs.filter((x) => x < f.median - limit).map((x) => x.toFixed(2));
    const collapsed = fallen.length === 0 ? '0' : `${fallen.length} (${fallen.join(', ')})`;
    return `${f.runs} | ${pp(f.mean)} | ${pp(f.sd)} | ${pp(f.median)} | ${collapsed} | ${pp(f.body_mean)} | ${pp(f.body_sd)}`;
  };
  for (const n of s.networks) {
    lines.push(
      `| ${n.name} | ${n.params} | ${side(n.student, accuracies(m, n.name, 'student'), s.student.collapse_limit)} | ${side(n.grader, accuracies(m, n.name, 'grader'), s.grader.collapse_limit)} | ${signed(n.body_difference)} pp |`,
    );
  }
  const bias = s.biasSpread;
  lines.push(
    '',
    `Pooled body sd (runs that did not collapse): ${e.student.name} ${pp(s.student.body_sd)} pp (${s.student.df} df; 95% upper bound ${pp(s.sigmaStudent)}), ` +
      `${e.grader.name} ${pp(s.grader.body_sd)} pp (${s.grader.df} df; ${pp(s.sigmaGrader)}); all runs: ${pp(s.student.sd)} and ${pp(s.grader.sd)} pp. ` +
      `A run more than ${pp(s.student.collapse_limit)} pp (${e.student.name}) or ${pp(s.grader.collapse_limit)} pp (${e.grader.name}) below its network's median counts as collapsed (3 pooled body sds, re-pooled until no more runs fall out): ` +
      `${s.student.collapsed} of ${s.student.runs} ${e.student.name} runs, ${s.grader.collapsed} of ${s.grader.runs} ${e.grader.name} runs (95% upper bound on the rate ${formatRate(s.grader.collapse_rate_upper)}; deepest ${pp(s.grader.deepest_collapse)} pp below its body mean). ` +
      `Engine bias over networks: μ_b = ${signed(bias.mean)} pp (se ${pp(bias.mean_se)}), spread τ = ${pp(bias.spread)} pp (95% upper bound ${pp(bias.spread_upper)}; Q = ${bias.q.toFixed(2)} on ${bias.df} df). ` +
      ('error' in input.reproduction
        ? "The 95% upper bounds are each term's own."
        : `The 95% upper bounds are each term's own; the rates below are bounded jointly over ${input.reproduction.noise.draws.length} draws of all the terms at once, ${formatRate(shareNoisierThanEstimate(input.reproduction.noise))} of them noisier than the estimates in every term.`),
    '',
  );
  const r = input.reproduction;
  if ('error' in r) {
    lines.push(`**Task 4.1: no fair policy.** ${r.error}`);
  } else {
    const p = r.policy;
    const level = percent(r.noise.confidence);
    const estimate = estimateModelOf(r.noise);
    lines.push(
      `| task 4.1 | value | ${level} bound |`,
      '|---|--:|--:|',
      `| pass within | ${pp(p.pass_within_pp)} pp | |`,
      `| re-check within | ${pp(p.recheck_within_pp)} pp | |`,
      `| re-check runs | ${p.recheck_runs} | |`,
      `| mean within | ${pp(p.mean_within_pp)} pp | |`,
      collapseRow(p.collapse_below_median_pp),
      `| a claim below the run holds down to | ${pp(p.under_claim_within_pp)} pp below | |`,
      `| false deductions (honest claims; target < ${formatRate(input.targets.maxFalseDeduction)} at the bound) | ${formatRate(r.rates.false_deduction)} | at most ${bound(r.rates.false_deduction_upper)} |`,
      `| detection of a claim ${input.targets.fabricatedOffBy} pp above the student's run | ${formatRate(r.rates.detection)} | at least ${formatRate(r.rates.detection_lower)} |`,
      `| detection of a claim ${2 * input.targets.fabricatedOffBy} pp above | ${formatRate(reproductionRates(p, estimate, 2 * input.targets.fabricatedOffBy).detection)} | |`,
      `| re-check runs per honest claim | ${r.rates.expected_extra_runs.toFixed(3)} | |`,
    );
  }
  lines.push('');
  const b = input.baseline;
  if ('error' in b) {
    lines.push(`**Task 3.3: no fair re-check.** ${b.error}`);
  } else {
    const p = b.policy;
    lines.push(
      `| task 3.3 | value | ${percent(b.noise.confidence)} bound |`,
      '|---|--:|--:|',
      `| full marks within (rubric) | ${pp(input.comparableWithin)} pp | |`,
      `| re-check up to | ${pp(input.comparableWithin + p.recheck_beyond_pp)} pp below | |`,
      `| re-check runs | ${p.recheck_runs} | |`,
      `| extra room for the mean | ${pp(p.mean_margin_pp)} pp | |`,
      collapseRow(p.collapse_below_median_pp),
      `| a network exactly at the limit loses full marks | ${formatRate(b.rates.lose_full_at_limit)} | at most ${bound(b.rates.lose_full_at_limit_upper)} |`,
      `| a network ${input.targets.belowLimit} pp below the limit gets full marks | ${formatRate(b.rates.full_when_below)} | at most ${formatRate(b.rates.full_when_below_upper)} |`,
      `| re-check runs for a network at the limit | ${b.rates.expected_extra_runs_at_limit.toFixed(3)} | |`,
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

/** limitingTerms as the Markdown table docs/fairness.md shows under "what limits it". */
export function renderLimitingTerms(
  terms: readonly LimitingTerm[],
  fabricatedOffBy: number,
): string {
  const lines = [
    `| change | detection at ${fabricatedOffBy} pp | lower bound | false deductions, upper bound | re-check runs per honest claim |`,
    '|---|--:|--:|--:|--:|',
    ...terms.map((t) =>
      t.rates === null
        ? `| ${t.change} | no fair policy | | | |`
        : `| ${t.change} | ${formatRate(t.rates.detection)} | ${formatRate(t.rates.detection_lower)} | ${bound(t.rates.false_deduction_upper)} | ${t.rates.expected_extra_runs.toFixed(2)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** boundCoverage's result as the sentence docs/fairness.md quotes. */
export function renderCoverage(
  result: { reproduction: Coverage; baseline: Coverage },
  confidence: number,
): string {
  const share = (c: Coverage, n: number) =>
    `${n} of ${c.measurements} (${formatRate(n / c.measurements)})`;
  const r = result.reproduction;
  const b = result.baseline;
  return (
    `Measured again ${r.measurements} times (simulated from the estimates, the same networks and seeds), ` +
    `the ${percent(confidence)} bound on task 4.1's false deductions was at least the true ${formatRate(r.trueRate)} in ${share(r, r.bounded)}, ` +
    `the estimate alone in ${share(r, r.estimated)}; ` +
    `the bound on task 3.3's lost full marks at the limit was at least the true ${formatRate(b.trueRate)} in ${share(b, b.bounded)}, ` +
    `the estimate alone in ${share(b, b.estimated)}.\n`
  );
}
