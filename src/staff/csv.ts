import { formatScore } from '../rubric/format.js';
import type { GradeReport, ReportRow } from './types.js';

/** full: every column of the report. canvas and gradescope: what their grade imports read. */
export type CsvFormat = 'full' | 'canvas' | 'gradescope';

export const CSV_FORMATS: readonly CsvFormat[] = ['full', 'canvas', 'gradescope'];

export function isCsvFormat(value: string): value is CsvFormat {
  return (CSV_FORMATS as readonly string[]).includes(value);
}

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula (=, +, @, tab, CR
 * first) gets a leading apostrophe: student names come from upload keys.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return formatScore(value);
  // A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one) as a formula.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvLines(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function percent(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}

function fullCsv(report: GradeReport): string {
  const header = [
    'student',
    ...report.tasks.map((t) => `task ${t.number} (${formatScore(t.points)})`),
    'total',
    'max_total',
    'accuracy_percent',
    'params',
    'graded_at',
    'rubric_version',
    'status',
    'note',
    'submission',
    'result_file',
  ];
  const rows = report.rows.map((r) => [
    r.student,
    ...r.tasks.map((t) => t.score),
    r.total,
    r.maxTotal,
    percent(r.accuracy),
    r.params,
    r.gradedAt.toISOString(),
    r.rubricVersion,
    r.status,
    r.note,
    r.source,
    r.resultKey,
  ]);
  return csvLines([header, ...rows]);
}

/**
 * Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one column per
 * assignment; a column without "(ID)" creates the assignment. The student's upload name is
 * matched as the SIS Login ID. The "Points Possible" row is the one Canvas's own export has.
 */
function canvasCsv(report: GradeReport, assignment: string): string {
  const maxTotal = report.tasks.reduce((sum, t) => sum + t.points, 0);
  const header = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', assignment];
  const points = ['Points Possible', '', '', '', '', maxTotal];
  const rows = report.rows.map((r) => [r.student, '', '', r.student, '', r.total]);
  return csvLines([header, points, ...rows]);
}

/**
 * Gradescope's score import matches students by email or SID and reads one score column; the
 * column names are those of Gradescope's own export. A student named by an email address goes
 * in Email, anyone else in SID.
 */
function gradescopeCsv(report: GradeReport): string {
  const header = ['Name', 'SID', 'Email', 'Total Score'];
  const isEmail = (s: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s);
  const rows = report.rows.map((r: ReportRow) => [
    r.student,
    isEmail(r.student) ? '' : r.student,
    isEmail(r.student) ? r.student : '',
    r.total,
  ]);
  return csvLines([header, ...rows]);
}

export function reportCsv(
  report: GradeReport,
  format: CsvFormat,
  options: { assignment: string },
): string {
  switch (format) {
    case 'full':
      return fullCsv(report);
    case 'canvas':
      return canvasCsv(report, options.assignment);
    case 'gradescope':
      return gradescopeCsv(report);
  }
}
