import { formatReproduced } from '../fairness/format.js';
import {
  escapeMarkdown,
  formatCount,
  formatLossCurve,
  formatMacs,
  formatPercent,
  formatPercentOrDash,
  formatScore,
  markdownCode,
} from './format.js';
import { trialOfResult } from './trial.js';
import type { ExperimentRecord, FailureReason, ResultFile } from './types.js';

/** Words for each failure reason, completing "The grading job stopped: ...". */
export const FAILURE_REASON_TEXT: Readonly<Record<FailureReason, string>> = {
  timeout: 'it ran past its time limit',
  out_of_memory: 'it ran out of memory',
  host_lost:
    'the machine running it was lost (for example a reclaimed spot instance) and retries ran out',
  crash: 'the grader crashed',
  no_gpu: 'the grading machine has no usable GPU, and this grader trains only on one',
  superseded: 'a newer submission replaced it before it started',
};

function experimentsTable(experiments: readonly ExperimentRecord[]): string[] {
  const rows = experiments.map((r) => {
    const name = `${escapeMarkdown(r.name)}${r.final ? ' (final)' : ''}`;
    const reportedParams = r.reported.params === null ? '–' : formatCount(r.reported.params);
    return `| ${name} | ${formatCount(r.params)} | ${reportedParams} | ${formatMacs(r.macs)} | ${formatPercentOrDash(r.reported.test_accuracy)} | ${formatPercentOrDash(r.test_accuracy)} | ${formatLossCurve(r.epochs) || '–'} | ${r.status.replace('_', ' ')} |`;
  });
  const notes: string[] = experiments
    .filter((r) => r.status !== 'ok' && r.message)
    .map(
      (r) =>
        `- **${escapeMarkdown(r.name)}** (${r.status.replace('_', ' ')}): ${escapeMarkdown(r.message ?? '')}`,
    );
  for (const r of experiments) {
    const recheck = r.recheck;
    if (!recheck) continue;
    const seeds = recheck.runs.map((run) => run.seed);
    const figures =
      recheck.mean !== null && recheck.sd !== null && seeds.length > 0
        ? formatReproduced({
            mean: recheck.mean,
            sd: recheck.sd,
            seeds: [(seeds[0] ?? 1) - 1, ...seeds],
          })
        : `seeds ${seeds.join(', ')}; a run did not finish, so the first run decides`;
    notes.push(
      `- **${escapeMarkdown(r.name)}** re-checked with more seeds (${escapeMarkdown(recheck.reason)}): ${figures}`,
    );
  }
  return [
    '| experiment | params | reported params | MACs | reported accuracy | reproduced accuracy | training loss per epoch | status |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    ...rows,
    ...(notes.length > 0 ? ['', ...notes] : []),
  ];
}

function tasksTable(result: Omit<ResultFile, 'output'>): string[] {
  return [
    '| task | score |',
    '|---|---:|',
    ...result.tests.map(
      (t) =>
        `| ${t.number} ${escapeMarkdown(t.name)} | ${formatScore(t.score)} / ${formatScore(t.max_score)} |`,
    ),
  ];
}

function runDescription(result: Omit<ResultFile, 'output'>): string[] {
  const x = result.extra_data;
  const lines: string[] = [];
  if (x.backend && x.dataset) {
    lines.push(
      `Reproduced with TensorFlow.js ${escapeMarkdown(x.backend.version)} on the ${escapeMarkdown(x.backend.name)} backend (device: ${escapeMarkdown(x.backend.device)}), seed ${x.seed ?? '–'}: ${x.epochs ?? '–'} epochs on ${formatCount(x.dataset.train_images)} training images, tested on ${formatCount(x.dataset.test_images)}.`,
    );
    const trial = trialOfResult(x);
    if (trial) lines.push('', `**A trial run, not a grade:** ${escapeMarkdown(trial.reason)}.`);
  }
  if (x.baseline) {
    const origin =
      x.baseline.source === 'calibration'
        ? 'trained the same way on this backend and data'
        : "the course's reference figure: no calibration exists for this backend and data";
    lines.push(
      '',
      `Baseline for task 3.3: ${escapeMarkdown(x.baseline.name)}, ${formatCount(x.baseline.params)} parameters, ${formatPercent(x.baseline.accuracy)} (${origin}).`,
    );
  }
  return lines;
}

/** The result's Markdown summary, from the rest of the result: one renderer for every outcome. */
export function renderResultMarkdown(result: Omit<ResultFile, 'output'>): string {
  const x = result.extra_data;
  const max = result.tests.reduce((sum, t) => sum + t.max_score, 0);
  const score = `${formatScore(result.score)} / ${formatScore(max)}`;
  const lines: string[] = [];
  if (x.outcome === 'rejected') {
    lines.push(
      `## Submission rejected: ${score}`,
      '',
      // No file identity: the upload itself was wrong (no file, or several), so none was read.
      x.submission.sha256 === null && x.submission.bytes === null
        ? 'No submission file was read, so nothing was trained. Fix what is said below and submit again.'
        : 'The file is not a valid submission, so nothing was trained. Fix every problem below and submit again; `npx autograder validate FILE` lists the same problems on your machine.',
      '',
      '| where (JSON pointer) | problem |',
      '|---|---|',
      ...x.errors.map(
        (e) =>
          `| ${e.path === '' ? '(whole file)' : markdownCode(e.path)} | ${escapeMarkdown(e.message)} |`,
      ),
    );
    return `${lines.join('\n')}\n`;
  }
  if (x.outcome === 'failed') {
    const failure = x.failure;
    const why = failure ? FAILURE_REASON_TEXT[failure.reason] : 'for an unknown reason';
    const finished = x.experiments.some((e) => e.status !== 'not_run')
      ? ' What finished before it stopped is scored below.'
      : '';
    // Running out of memory may be the submission's own size, so no blanket "not your mistake":
    // the failure message says what ran out and which cause is likely.
    const stopped =
      failure?.reason === 'out_of_memory'
        ? `The grading job stopped: ${why}. ${escapeMarkdown(failure.message)}`
        : `The grading job stopped: ${why}${failure?.message ? ` (${escapeMarkdown(failure.message)})` : ''}. Your submission was valid, so this is not your mistake: course staff can re-run it.`;
    lines.push(`## Grading did not finish: ${score}`, '', `${stopped}${finished}`);
  } else if (!x.complete) {
    const done = x.experiments.filter((e) => e.status !== 'not_run').length;
    lines.push(
      `## Grading in progress: ${score} so far`,
      '',
      `${done} of ${x.experiments.length} experiments are finished; this file is rewritten as each one finishes.`,
    );
  } else {
    lines.push(`## Score: ${score}`);
  }
  if (x.experiments.length > 0) lines.push('', ...experimentsTable(x.experiments));
  const run = runDescription(result);
  if (run.length > 0) lines.push('', ...run);
  lines.push('', ...tasksTable(result));
  return `${lines.join('\n')}\n`;
}
