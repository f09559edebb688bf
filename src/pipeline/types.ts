import type { SpecError } from '../spec/types.js';

/** One uploaded object, as an S3 event names it. */
export interface SubmissionRef {
  bucket: string;
  key: string;
  /** Set when the bucket is versioned (it is in the deployed stack). */
  versionId?: string;
  /** S3's per-key event order; identical for a redelivered event. */
  sequencer?: string;
  eTag?: string;
  size?: number;
}

/** What on-submission did with one uploaded object. */
export type IntakeOutcome =
  | { status: 'launched'; submission: SubmissionRef; resultKey: string; jobId: string }
  | { status: 'rejected'; submission: SubmissionRef; resultKey: string; errors: SpecError[] }
  /** Another delivery of this event already handled the upload. */
  | { status: 'duplicate'; submission: SubmissionRef }
  /** Not a submission: another bucket, a folder marker, a key outside submissions/<student>/. */
  | { status: 'ignored'; submission: SubmissionRef; reason: string }
  /** Deleted before it could be read; there is nothing to grade. */
  | { status: 'missing'; submission: SubmissionRef };

/** Why a Batch job failed, in the result file's terms. */
export type JobFailureReason = 'timeout' | 'out_of_memory' | 'host_lost' | 'crash';

/** What on-job-failed did with one failed job. */
export type JobFailedOutcome =
  | { status: 'written'; resultKey: string; reason: JobFailureReason; message: string }
  /** The job had already written its final result, or a newer upload replaced the submission. */
  | { status: 'kept'; resultKey: string; why: string }
  /** The event is not about a grading job (no submission in its environment). */
  | { status: 'ignored'; why: string };

/** A structured log line; Lambda sends console output to CloudWatch. */
export type Logger = (entry: Record<string, unknown>) => void;
