import { studentOfKey } from './report.js';
import type { JsonListing } from './types.js';

/** One submission to grade again: the student's latest upload. */
export interface RegradeTarget {
  student: string;
  /** Relative to the submissions root: "<student>/<name>.json". */
  key: string;
  uploadedAt: Date;
}

/**
 * Each student's latest upload (by upload time, then key), only for the students asked for.
 * Names asked for that have no submission are returned so the caller can say so.
 */
export function latestSubmissions(
  listings: readonly JsonListing[],
  students?: readonly string[],
): { targets: RegradeTarget[]; missing: string[] } {
  const latest = new Map<string, RegradeTarget>();
  for (const listing of listings) {
    // Submissions always sit in a student's folder; a loose file at the top belongs to nobody.
    if (!listing.key.includes('/')) continue;
    const student = studentOfKey(listing.key);
    const current = latest.get(student);
    const newer =
      !current ||
      listing.modifiedAt.getTime() > current.uploadedAt.getTime() ||
      (listing.modifiedAt.getTime() === current.uploadedAt.getTime() && listing.key > current.key);
    if (newer) latest.set(student, { student, key: listing.key, uploadedAt: listing.modifiedAt });
  }
  const wanted = students ? new Set(students) : undefined;
  const targets = [...latest.values()]
    .filter((t) => !wanted || wanted.has(t.student))
    .sort((a, b) => a.student.localeCompare(b.student));
  const missing = students ? students.filter((s) => !latest.has(s)) : [];
  return { targets, missing };
}

/** "20261202T074512Z": sorts as it reads, and is safe in any key or file name. */
export function compactTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Where a regrade's result goes: beside the student's results, a new name for every regrade
 * ("<name>.regrade-<time>.json", then "-2", "-3" if that exists), so an earlier result is never
 * overwritten and the report picks the newest.
 */
export async function regradeResultKey(
  submissionKey: string,
  now: Date,
  exists: (key: string) => Promise<boolean>,
): Promise<string> {
  const base = `${submissionKey.replace(/\.json$/, '')}.regrade-${compactTimestamp(now)}`;
  for (let n = 1; ; n += 1) {
    const key = `${base}${n === 1 ? '' : `-${n}`}.json`;
    if (!(await exists(key))) return key;
  }
}

/** --students a,b,c: names separated by commas, blanks ignored. */
export function parseStudentList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}
