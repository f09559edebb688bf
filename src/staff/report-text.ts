import { formatCount, formatPercent, formatScore } from '../rubric/format.js';
import { type ScoreSummary, summarizeScores } from './report.js';
import type { GradeReport } from './types.js';

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** "2026-12-02 07:41 UTC": minutes are enough to tell submissions apart in a gradebook. */
function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The text histogram: one line per whole point, a bar of blocks scaled to the widest bin. */
export function renderHistogram(summary: ScoreSummary, width = 40): string[] {
  const most = Math.max(...summary.bins, 1);
  const labelWidth = String(summary.bins.length - 1).length + 1;
  return summary.bins.map((count, point) => {
    const label = String(point);
    const bar = '█'.repeat(Math.round((count / most) * width));
    return `  ${label.padStart(labelWidth)} │${bar}${count > 0 ? ` ${count}` : ''}`;
  });
}

/** What `autograder report` prints: the gradebook as a table, then the class's distribution. */
export function renderReportText(report: GradeReport, location: string): string {
  const summary = summarizeScores(report);
  const lines: string[] = [];
  const { byStatus } = summary;
  const parts = (['graded', 'rejected', 'failed', 'pending'] as const)
    .filter((s) => byStatus[s] > 0)
    .map((s) => `${byStatus[s]} ${s}`);
  lines.push(
    `Gradebook from ${location}: ${summary.count} student${summary.count === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`,
    '',
  );
  if (report.rows.length > 0) {
    const header = [
      'student',
      ...report.tasks.map((t) => t.number),
      'total',
      'accuracy',
      'params',
      'graded at',
      'rubric',
      'note',
    ];
    const rows = report.rows.map((r) => [
      r.student,
      ...r.tasks.map((t) => formatScore(t.score)),
      `${formatScore(r.total)} / ${formatScore(r.maxTotal)}`,
      r.accuracy === null ? '–' : formatPercent(r.accuracy),
      r.params === null ? '–' : formatCount(r.params),
      formatDate(r.gradedAt),
      r.rubricVersion,
      r.note,
    ]);
    lines.push(...table([header, ...rows]), '');
    lines.push(
      `Mean ${summary.mean.toFixed(2)}, median ${formatScore(summary.median)}, lowest ${formatScore(summary.min)}, highest ${formatScore(summary.max)} (of ${formatScore(summary.maxTotal)} points)`,
      'Students per score (a fraction counts with the whole point below it):',
      ...renderHistogram(summary),
    );
  } else {
    lines.push('No result files found.');
  }
  const versions = new Set(report.rows.map((r) => r.rubricVersion));
  if (versions.size > 1) {
    lines.push(
      '',
      `Scores come from ${versions.size} rubric versions (${[...versions].sort().join(', ')}): regrade to put everyone on one.`,
    );
  }
  if (report.unreadable.length > 0) {
    lines.push('', `Skipped ${report.unreadable.length} file(s) that are not result files:`);
    for (const u of report.unreadable) lines.push(`  ${u.key}: ${u.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
