/** Number formatting shared by check messages, the Markdown summary and the terminal table. */

/** 42362 -> "42,362": the validator's locale-independent count, so both say counts alike. */
export { formatCount } from '../spec/format-number.js';

/** 59.9213 -> "59.92%". */
export function formatPercent(value: number): string {
  return `${value.toFixed(2)}%`;
}

/** A percentage, or a dash where there is none. */
export function formatPercentOrDash(value: number | null): string {
  return value === null ? '–' : formatPercent(value);
}

/** Training loss per epoch, "1.600 → NaN"; empty when no epoch finished. */
export function formatLossCurve(epochs: readonly { loss: number | null }[]): string {
  return epochs.map((e) => (e.loss === null ? 'NaN' : e.loss.toFixed(3))).join(' → ');
}

/** A difference in percentage points, e.g. 1.5 -> "1.50 pp". */
export function formatPoints(value: number): string {
  return `${value.toFixed(2)} pp`;
}

/** 4_440_064 -> "4.44M": MACs span orders of magnitude, three significant figures suffice. */
export function formatMacs(value: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (value >= size) return `${(value / size).toPrecision(3)}${suffix}`;
  }
  return String(value);
}

/** A score without float noise: 1.5 -> "1.5", 2 -> "2". */
export function formatScore(value: number): string {
  return String(roundScore(value));
}

/** Scores are kept to hundredths so sums of fractions stay exact in the file. */
export function roundScore(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A score's standing against the task's points: full, some, or none. */
export function scoreStatus(score: number, points: number): 'passed' | 'partial' | 'failed' {
  return score >= points ? 'passed' : score > 0 ? 'partial' : 'failed';
}

/** Escapes text for a Markdown table cell or inline text: student-chosen names go through here. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/**
 * Student-chosen text as a Markdown code span, safe in a table cell: backticks cannot close the
 * span, a newline cannot end the row, and `|`, which splits a GFM table cell even inside a code
 * span, is written `\|` (shown as `|`).
 */
export function markdownCode(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\r?\n/g, ' ').replace(/\|/g, '\\|')}\``;
}
