import type { ResultFile, TaskNumber } from '../rubric/types.js';

/** One stored JSON file (a result or a submission), as listed: its key under the root and when it was written. */
export interface JsonListing {
  /** Relative to the results root, "/"-separated: "<student>/<name>.json" or "<name>.result.json". */
  key: string;
  modifiedAt: Date;
}

/**
 * JSON files under a root: result files for the report, submissions for a regrade. A directory
 * on disk or a prefix of one of the stack's buckets.
 */
export interface JsonSource {
  /** For messages: the directory or s3://bucket/prefix. */
  readonly location: string;
  list(): Promise<JsonListing[]>;
  read(key: string): Promise<Uint8Array>;
}

/** A result file that was read and parsed, with the student it belongs to. */
export interface StoredResult {
  key: string;
  student: string;
  /** The result's own timestamp when it has one, else when the file was written. */
  gradedAt: Date;
  result: ResultFile;
}

/** A file under the results root that is not a result file, and why. */
export interface UnreadableResult {
  key: string;
  reason: string;
}

/**
 * graded: scored from a finished grading run. rejected: every submission was invalid.
 * failed: the latest run stopped (the score is what finished before). pending: only a checkpoint.
 */
export type RowStatus = 'graded' | 'rejected' | 'failed' | 'pending';

/** One gradebook row: a student's latest graded submission, or why there is none. */
export interface ReportRow {
  student: string;
  status: RowStatus;
  /** Points per rubric task, in the rubric's order. */
  tasks: Array<{ number: TaskNumber; score: number; max_score: number }>;
  total: number;
  maxTotal: number;
  /** The final experiment's reproduced test accuracy (percent); null when it was not trained. */
  accuracy: number | null;
  /** The final experiment's parameter count; null when the submission was rejected. */
  params: number | null;
  gradedAt: Date;
  rubricVersion: string;
  /** Where the scored submission came from (file name or object key). */
  source: string | null;
  /** The result file the row comes from, relative to the results root. */
  resultKey: string;
  /** How many result files the student has. */
  results: number;
  /** The row's result is a trial run (fewer images than CIFAR-10 has): gradebook CSVs leave it out. */
  trial: boolean;
  /** A sentence for staff when the row is not a plain graded submission. */
  note: string;
}

export interface GradeReport {
  /** The rubric tasks the rows' columns follow. */
  tasks: Array<{ number: TaskNumber; name: string; points: number }>;
  rows: ReportRow[];
  unreadable: UnreadableResult[];
}
