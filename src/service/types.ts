import type { ResultFile } from '../rubric/index.js';

/** The API's statuses (see the design's contract). */
export type SubmissionStatus = 'queued' | 'running' | 'graded' | 'rejected' | 'failed';

/** Where a running submission is, as far as the service knows. */
export interface SubmissionProgress {
  /** The experiment being trained, and which of how many. */
  experiment: string | null;
  experiment_index: number;
  experiments: number;
  /** The epoch in progress (1-based) and the rubric's epochs; null when not known here. */
  epoch: number | null;
  epochs: number | null;
}

/** One row of a student's history. */
export interface SubmissionSummary {
  id: string;
  submitted_at: string;
  status: SubmissionStatus;
  score: number | null;
  max_score: number;
  /** Only on a staff regrade: the id of the submission it grades again. */
  regrade_of?: string;
}

/** One submission with its result file (null until there is one; a checkpoint while training). */
export interface SubmissionDetail {
  id: string;
  submitted_at: string;
  status: SubmissionStatus;
  result: ResultFile | null;
  progress: SubmissionProgress | null;
  /** Only on a staff regrade: the id of the submission it grades again. */
  regrade_of?: string;
}

/**
 * What the API needs from the submission lifecycle: store an accepted file as a student's
 * submission (which queues it), and read a student's submissions back. Reads take the student,
 * so one student's id never finds another's submission.
 */
export interface SubmissionDesk {
  submit(student: string, bytes: Uint8Array, now: number): Promise<{ id: string }>;
  /** Newest first. */
  list(student: string): Promise<SubmissionSummary[]>;
  get(student: string, id: string): Promise<SubmissionDetail | undefined>;
}

/** A request as the API sees it, whether it came through node:http or API Gateway. */
export interface ApiRequest {
  method: string;
  /** The URL's path, still percent-encoded. */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  body: RequestBody;
}

/** A body read only when needed, and never past a cap. */
export interface RequestBody {
  /** Content-Length, when the client sent one. */
  declaredLength: number | undefined;
  /** The bytes, or "too-large" as soon as more than maxBytes arrive. */
  read(maxBytes: number): Promise<Uint8Array | 'too-large'>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialised as JSON. */
  body: unknown;
}
