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

/** The submission record an outcome is about. */
interface Identified {
  submission: SubmissionRef;
  student: string;
  id: string;
}

/** What on-submission did with one uploaded object. */
export type IntakeOutcome =
  | (Identified & { status: 'launched'; resultKey: string; jobId: string })
  | (Identified & { status: 'rejected'; resultKey: string; errors: SpecError[] })
  /** Another delivery of this event already handled the upload. */
  | (Identified & { status: 'duplicate' })
  /**
   * Another intake holds a live lease on the upload. The Lambda wiring fails the invocation so
   * it is retried (the lease will have settled or expired by then); nothing is dropped.
   */
  | (Identified & { status: 'in-progress'; leaseExpiresAt: string })
  /** Not a submission: another bucket, a folder marker, a key outside submissions/<student>/. */
  | { status: 'ignored'; submission: SubmissionRef; reason: string };

/** Why a Batch job failed, in the result file's terms. */
export type JobFailureReason = 'timeout' | 'out_of_memory' | 'host_lost' | 'crash';

/** What a job-state handler did with one job's state change. */
export type JobStateOutcome =
  /** The record moved on: to running, or to its final status (with the result written if needed). */
  | { status: 'recorded'; student: string; id: string; to: string; resultKey: string }
  /** A failed job's result file was written. */
  | {
      status: 'written';
      resultKey: string;
      reason: JobFailureReason | 'superseded';
      message: string;
    }
  /** The job had already written its final result, or the record is already final. */
  | { status: 'kept'; resultKey: string; why: string }
  /** The event is not about a grading job (no submission in its environment). */
  | { status: 'ignored'; why: string };

/** What on-job-failed did with one failed job. */
export type JobFailedOutcome = JobStateOutcome;

/** A structured log line; Lambda sends console output to CloudWatch. */
export type Logger = (entry: Record<string, unknown>) => void;
