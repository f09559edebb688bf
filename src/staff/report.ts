import {
  DEFAULT_RUBRIC,
  isResultFile,
  isTrialResult,
  resultSchemaErrors,
} from '../rubric/index.js';
import type { ResultFile, Rubric } from '../rubric/types.js';
import type {
  GradeReport,
  JsonSource,
  ReportRow,
  StoredResult,
  UnreadableResult,
} from './types.js';

/** NAME.result.json beside a submission, as `autograder grade` writes it. */
const RESULT_SUFFIX = '.result.json';

/**
 * The student a result key belongs to: the first folder (results/<student>/...), or for a file
 * at the top, its name without .result.json.
 */
export function studentOfKey(key: string): string {
  const slash = key.indexOf('/');
  if (slash > 0) return key.slice(0, slash);
  return key.endsWith(RESULT_SUFFIX)
    ? key.slice(0, -RESULT_SUFFIX.length)
    : key.replace(/\.json$/, '');
}

/** A timestamp the result carries itself (newer layouts write one), else undefined. */
function ownTimestamp(result: ResultFile): Date | undefined {
  const extra = result.extra_data as unknown as Record<string, unknown>;
  for (const field of ['graded_at', 'finished_at']) {
    const value = extra[field];
    if (typeof value === 'string') {
      const date = new Date(value);
      if (!Number.isNaN(date.getTime())) return date;
    }
  }
  return undefined;
}

/** A submission file lying beside its results (a graded directory), not a broken result. */
function isSubmissionFile(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'experiments' in value &&
    !('extra_data' in value)
  );
}

/** Reads every result file under the source; files that are not result files are listed, not fatal. */
export async function loadResults(
  source: JsonSource,
): Promise<{ results: StoredResult[]; unreadable: UnreadableResult[] }> {
  const results: StoredResult[] = [];
  const unreadable: UnreadableResult[] = [];
  for (const listing of await source.list()) {
    const bytes = await source.read(listing.key);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      unreadable.push({
        key: listing.key,
        reason: `not JSON (${error instanceof Error ? error.message : String(error)})`,
      });
      continue;
    }
    if (isSubmissionFile(parsed)) continue;
    if (!isResultFile(parsed)) {
      const first = resultSchemaErrors(parsed)[0];
      unreadable.push({
        key: listing.key,
        reason: `not a result file${first ? ` (${first.path || '/'}: ${first.message})` : ''}`,
      });
      continue;
    }
    results.push({
      key: listing.key,
      student: studentOfKey(listing.key),
      gradedAt: ownTimestamp(parsed) ?? listing.modifiedAt,
      result: parsed,
    });
  }
  return { results, unreadable };
}

function newestFirst(a: StoredResult, b: StoredResult): number {
  return b.gradedAt.getTime() - a.gradedAt.getTime() || b.key.localeCompare(a.key);
}

function isGraded(r: StoredResult): boolean {
  return r.result.extra_data.outcome === 'graded' && r.result.extra_data.complete;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function rowFrom(
  chosen: StoredResult,
  rubric: Rubric,
  all: readonly StoredResult[],
  status: ReportRow['status'],
  note: string,
): ReportRow {
  const { result } = chosen;
  const scored = status === 'graded' || status === 'failed';
  const tasks = rubric.tasks.map((task) => {
    const test = result.tests.find((t) => t.number === task.number);
    return {
      number: task.number,
      score: scored ? (test?.score ?? 0) : 0,
      max_score: test?.max_score ?? task.points,
    };
  });
  const final = result.extra_data.experiments.find((e) => e.final);
  return {
    student: chosen.student,
    status,
    tasks,
    total: scored ? result.score : 0,
    maxTotal: tasks.reduce((sum, t) => sum + t.max_score, 0),
    accuracy: final?.test_accuracy ?? null,
    params: final?.params ?? null,
    gradedAt: chosen.gradedAt,
    rubricVersion: result.extra_data.rubric.version,
    source: result.extra_data.submission.source,
    resultKey: chosen.key,
    results: all.length,
    trial: isTrialResult(result),
    note,
  };
}

/** The row of one student: the latest graded result, else the latest final one, else a checkpoint. */
export function studentRow(results: readonly StoredResult[], rubric: Rubric): ReportRow {
  const sorted = [...results].sort(newestFirst);
  const newest = sorted[0];
  if (!newest) throw new Error('studentRow needs at least one result');
  // A grade on the full data outranks any trial, however much newer the trial is.
  const graded =
    sorted.find((r) => isGraded(r) && !isTrialResult(r.result)) ?? sorted.find(isGraded);
  if (graded) {
    const note = isTrialResult(graded.result)
      ? 'a trial run on fewer images than CIFAR-10 has: not a grade'
      : graded === newest || !newest.result.extra_data.complete
        ? ''
        : isGraded(newest) && isTrialResult(newest.result)
          ? 'a newer trial run is not a grade; this is the latest grade on the full data'
          : `a newer submission was ${newest.result.extra_data.outcome}; this is the latest graded one`;
    return rowFrom(graded, rubric, sorted, 'graded', note);
  }
  const finals = sorted.filter((r) => r.result.extra_data.complete);
  const latestFinal = finals[0];
  if (!latestFinal) {
    return rowFrom(
      newest,
      rubric,
      sorted,
      'pending',
      'grading in progress: only a checkpoint so far',
    );
  }
  if (finals.every((r) => r.result.extra_data.outcome === 'rejected')) {
    return rowFrom(
      latestFinal,
      rubric,
      sorted,
      'rejected',
      finals.length === 1
        ? 'the only submission was rejected as invalid: 0 points'
        : `all ${plural(finals.length, 'submission')} were rejected as invalid: 0 points`,
    );
  }
  const failed = finals.find((r) => r.result.extra_data.outcome === 'failed') ?? latestFinal;
  const reason = failed.result.extra_data.failure?.reason ?? 'unknown reason';
  return rowFrom(
    failed,
    rubric,
    sorted,
    'failed',
    `grading stopped (${reason}); the score is what finished before: regrade it`,
  );
}

/** One row per student with any result, sorted by student. */
export function buildReport(
  results: readonly StoredResult[],
  unreadable: readonly UnreadableResult[] = [],
  rubric: Rubric = DEFAULT_RUBRIC,
): GradeReport {
  const byStudent = new Map<string, StoredResult[]>();
  for (const r of results) {
    const list = byStudent.get(r.student) ?? [];
    list.push(r);
    byStudent.set(r.student, list);
  }
  const rows = [...byStudent.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, list]) => studentRow(list, rubric));
  return {
    tasks: rubric.tasks.map((t) => ({ number: t.number, name: t.name, points: t.points })),
    rows,
    unreadable: [...unreadable],
  };
}

export interface ScoreSummary {
  count: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  maxTotal: number;
  /** Students per whole point: bins[i] counts totals in [i, i+1), the last bin the full score. */
  bins: number[];
  byStatus: Record<ReportRow['status'], number>;
}

export function summarizeScores(report: GradeReport): ScoreSummary {
  const totals = report.rows.map((r) => r.total).sort((a, b) => a - b);
  const maxTotal = report.tasks.reduce((sum, t) => sum + t.points, 0);
  const bins = new Array<number>(Math.floor(maxTotal) + 1).fill(0);
  for (const total of totals) {
    const bin = Math.min(Math.max(Math.floor(total), 0), bins.length - 1);
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  const count = totals.length;
  const middle = Math.floor(count / 2);
  const median =
    count === 0
      ? 0
      : count % 2 === 1
        ? (totals[middle] ?? 0)
        : ((totals[middle - 1] ?? 0) + (totals[middle] ?? 0)) / 2;
  const byStatus = { graded: 0, rejected: 0, failed: 0, pending: 0 };
  for (const row of report.rows) byStatus[row.status] += 1;
  return {
    count,
    mean: count === 0 ? 0 : totals.reduce((a, b) => a + b, 0) / count,
    median,
    min: totals[0] ?? 0,
    max: totals[count - 1] ?? 0,
    maxTotal,
    bins,
    byStatus,
  };
}
