import {
  formatCount,
  formatLossCurve,
  formatMacs,
  formatPercent,
  formatPercentOrDash,
  formatScore,
} from './format.js';
import { FAILURE_REASON_TEXT } from './summary-markdown.js';
import { trialOfResult } from './trial.js';
import type { ResultFile } from './types.js';

/** Left-aligned columns, two spaces apart; numbers right-aligned where `right` says so. */
function table(header: string[], rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) =>
        right.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A result file for a terminal: the experiments, then each task with what it said. */
export function renderResultText(result: ResultFile): string {
  const x = result.extra_data;
  const max = result.tests.reduce((sum, t) => sum + t.max_score, 0);
  const lines: string[] = [];
  const score = `${formatScore(result.score)} / ${formatScore(max)}`;
  if (x.outcome === 'rejected') {
    lines.push(`Rejected: ${score}. The submission is invalid, so nothing was trained:`);
    for (const e of x.errors) lines.push(`  ${e.path === '' ? '(file)' : e.path}: ${e.message}`);
    return `${lines.join('\n')}\n`;
  }
  if (x.outcome === 'failed') {
    const why = x.failure
      ? `${FAILURE_REASON_TEXT[x.failure.reason]} (${x.failure.message})`
      : 'unknown';
    lines.push(`Grading did not finish: ${score}. It stopped because ${why}.`);
  } else {
    lines.push(`Score: ${score}`);
  }
  const trial = trialOfResult(x);
  if (x.backend && x.dataset) {
    const slice = trial ? ' (a trial run, not a grade)' : '';
    lines.push(
      `Backend ${x.backend.name} (${x.backend.detail}) on ${x.backend.device}, seed ${x.seed ?? '–'}, ${formatCount(x.dataset.train_images)} training / ${formatCount(x.dataset.test_images)} test images${slice}.`,
    );
  }
  if (trial) lines.push(`Trial: ${trial.reason}.`);
  if (x.experiments.length > 0) {
    lines.push(
      '',
      ...table(
        [
          'experiment',
          'params',
          'reported',
          'MACs',
          'acc. reported',
          'acc. reproduced',
          'loss per epoch',
          'status',
        ],
        x.experiments.map((e) => [
          `${e.name}${e.final ? ' (final)' : ''}`,
          formatCount(e.params),
          e.reported.params === null ? '–' : formatCount(e.reported.params),
          formatMacs(e.macs),
          formatPercentOrDash(e.reported.test_accuracy),
          formatPercentOrDash(e.test_accuracy),
          formatLossCurve(e.epochs) || '–',
          e.status.replace('_', ' '),
        ]),
        new Set([1, 2, 3, 4, 5]),
      ),
    );
  }
  if (x.baseline) {
    lines.push(
      '',
      `Baseline: ${x.baseline.name} ${formatPercent(x.baseline.accuracy)} (${x.baseline.source === 'calibration' ? 'calibrated on this backend and data' : 'reference figure; run "autograder calibrate" for this backend and data'}).`,
    );
  }
  lines.push('');
  for (const t of result.tests) {
    lines.push(`${t.number}  ${formatScore(t.score)} / ${formatScore(t.max_score)}  ${t.name}`);
    lines.push(`     ${t.output}`);
  }
  return `${lines.join('\n')}\n`;
}
