import { formatCount, formatScore } from '../rubric/format.js';
import { summarizeScores } from './report.js';
import type { GradeReport } from './types.js';

/** The MLP the assignment asks students to beat, drawn as reference lines on the scatter. */
export interface ChartBaseline {
  name: string;
  params: number;
  accuracy: number;
}

const WIDTH = 1000;
const HEIGHT = 460;
const PANEL = { top: 70, bottom: 390, leftA: 70, rightA: 460, leftB: 560, rightB: 960 };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const INK = '#222';
const GRID = '#ddd';
const BAR = '#3b6ea8';
const DOT = '#c8553d';
const REFERENCE = '#777';

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

function text(x: number, y: number, content: string, attrs = '', fill = INK): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} fill="${fill}" ${attrs}>${escapeXml(content)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${attrs}/>`;
}

/** Round numbers for an axis from 0 to at least max: 1, 2 or 5 times a power of ten apart. */
function niceTicks(max: number, count = 5): number[] {
  const raw = Math.max(max, 1) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push((ticks[ticks.length - 1] ?? 0) + step);
  return ticks;
}

function histogramPanel(report: GradeReport): string[] {
  const summary = summarizeScores(report);
  const { top, bottom, leftA: left, rightA: right } = PANEL;
  const ticks = niceTicks(Math.max(...summary.bins, 1));
  const yMax = ticks[ticks.length - 1] ?? 1;
  const y = (v: number) => bottom - (v / yMax) * (bottom - top);
  const slot = (right - left) / summary.bins.length;
  const out: string[] = [
    text(
      (left + right) / 2,
      top - 30,
      'Total score',
      'font-size="18" text-anchor="middle" font-weight="bold"',
    ),
  ];
  for (const t of ticks) {
    out.push(line(left, y(t), right, y(t), `stroke="${GRID}" stroke-width="1"`));
    out.push(text(left - 8, y(t) + 4, formatScore(t), 'font-size="13" text-anchor="end"'));
  }
  summary.bins.forEach((count, point) => {
    const x = left + point * slot;
    if (count > 0) {
      out.push(
        `<rect x="${(x + slot * 0.12).toFixed(1)}" y="${y(count).toFixed(1)}" width="${(slot * 0.76).toFixed(1)}" height="${(bottom - y(count)).toFixed(1)}" fill="${BAR}"/>`,
      );
      out.push(
        text(x + slot / 2, y(count) - 6, String(count), 'font-size="13" text-anchor="middle"'),
      );
    }
    out.push(text(x + slot / 2, bottom + 20, String(point), 'font-size="13" text-anchor="middle"'));
  });
  out.push(line(left, bottom, right, bottom, `stroke="${INK}" stroke-width="1.5"`));
  out.push(
    text(
      (left + right) / 2,
      bottom + 46,
      `points (of ${formatScore(summary.maxTotal)}); mean ${summary.mean.toFixed(2)}, median ${formatScore(summary.median)}`,
      'font-size="14" text-anchor="middle"',
    ),
  );
  out.push(
    text(
      left - 48,
      (top + bottom) / 2,
      'students',
      `font-size="14" text-anchor="middle" transform="rotate(-90 ${left - 48} ${(top + bottom) / 2})"`,
    ),
  );
  return out;
}

function scatterPanel(report: GradeReport, baseline: ChartBaseline): string[] {
  const { top, bottom, leftB: left, rightB: right } = PANEL;
  const points = report.rows.filter(
    (r): r is typeof r & { accuracy: number; params: number } =>
      r.accuracy !== null && r.params !== null && r.params > 0,
  );
  const params = [...points.map((p) => p.params), baseline.params];
  const lo = Math.floor(Math.log10(Math.min(...params)));
  const hi = Math.max(Math.ceil(Math.log10(Math.max(...params))), lo + 1);
  const x = (p: number) => left + ((Math.log10(p) - lo) / (hi - lo)) * (right - left);
  const accuracies = [...points.map((p) => p.accuracy), baseline.accuracy];
  const yLo = Math.max(0, Math.floor((Math.min(...accuracies) - 5) / 10) * 10);
  const yHi = Math.min(100, Math.ceil((Math.max(...accuracies) + 5) / 10) * 10);
  const y = (a: number) => bottom - ((a - yLo) / (yHi - yLo)) * (bottom - top);
  const out: string[] = [
    text(
      (left + right) / 2,
      top - 30,
      'Reproduced accuracy against parameters',
      'font-size="18" text-anchor="middle" font-weight="bold"',
    ),
  ];
  for (let a = yLo; a <= yHi; a += 10) {
    out.push(line(left, y(a), right, y(a), `stroke="${GRID}" stroke-width="1"`));
    out.push(text(left - 8, y(a) + 4, `${a}%`, 'font-size="13" text-anchor="end"'));
  }
  for (let e = lo; e <= hi; e += 1) {
    out.push(line(x(10 ** e), top, x(10 ** e), bottom, `stroke="${GRID}" stroke-width="1"`));
    out.push(
      text(x(10 ** e), bottom + 20, formatCount(10 ** e), 'font-size="13" text-anchor="middle"'),
    );
  }
  const dashed = `stroke="${REFERENCE}" stroke-width="1.5" stroke-dasharray="6 4"`;
  out.push(line(x(baseline.params), top, x(baseline.params), bottom, dashed));
  out.push(line(left, y(baseline.accuracy), right, y(baseline.accuracy), dashed));
  out.push(
    text(
      x(baseline.params) - 6,
      y(baseline.accuracy) - 8,
      `${baseline.name}: ${formatCount(baseline.params)} params, ${baseline.accuracy.toFixed(2)}%`,
      'font-size="12" text-anchor="end"',
      REFERENCE,
    ),
  );
  for (const p of points) {
    out.push(
      `<circle cx="${x(p.params).toFixed(1)}" cy="${y(p.accuracy).toFixed(1)}" r="5" fill="${DOT}" fill-opacity="0.75" stroke="#fff" stroke-width="1"><title>${escapeXml(`${p.student}: ${formatCount(p.params)} params, ${p.accuracy.toFixed(2)}%, ${formatScore(p.total)} points`)}</title></circle>`,
    );
  }
  out.push(line(left, bottom, right, bottom, `stroke="${INK}" stroke-width="1.5"`));
  out.push(
    text(
      (left + right) / 2,
      bottom + 46,
      'parameters of the final network (log scale)',
      'font-size="14" text-anchor="middle"',
    ),
  );
  out.push(
    text(
      left - 52,
      (top + bottom) / 2,
      'test accuracy',
      `font-size="14" text-anchor="middle" transform="rotate(-90 ${left - 52} ${(top + bottom) / 2})"`,
    ),
  );
  if (points.length === 0) {
    out.push(
      text(
        (left + right) / 2,
        (top + bottom) / 2,
        'no trained submissions yet',
        'font-size="14" text-anchor="middle"',
      ),
    );
  }
  return out;
}

/**
 * A slide-ready SVG: the class's score distribution beside each student's final network as
 * accuracy against parameters, with the MLP baseline as dashed reference lines. Self-contained
 * (no scripts, no external fonts), so it opens in a browser or a slide editor as is.
 */
export function renderReportChart(report: GradeReport, baseline: ChartBaseline): string {
  const body = [...histogramPanel(report), ...scatterPanel(report, baseline)];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
