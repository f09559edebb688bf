/**
 * Where a submission is in its lifecycle. Forward only:
 * received → claiming → queued → running → graded | failed, and received | claiming → rejected.
 * - received: the API stored the upload under an id it chose; intake has not taken it yet.
 * - claiming: intake holds the lease and is reading, validating and starting the job.
 * - queued: the grading job was submitted (job_name, job_id set).
 * - running: the job started on an instance.
 * - graded | rejected | failed: final; the result file at result_key is final too.
 */
export type SubmissionStatus =
  | 'received'
  | 'claiming'
  | 'queued'
  | 'running'
  | 'graded'
  | 'rejected'
  | 'failed';

/** The statuses students see (design.md, "The service students use"). */
export type PublicStatus = 'queued' | 'running' | 'graded' | 'rejected' | 'failed';

/** The uploaded object a record is about. */
export interface SubmissionObject {
  bucket: string;
  key: string;
  /** S3 version id, when the bucket is versioned (it is in the deployed stack). */
  version_id?: string;
  /**
   * Names the exact upload (see uploadIdentity in ./ids.ts): set by intake. A record the API
   * registered before its upload has none until intake binds the upload to it.
   */
  upload?: string;
}

/** Why a submission failed for good, in the result file's terms plus "superseded". */
export interface SubmissionFailure {
  reason: string;
  message: string;
}

/** One upload's record: the single source of truth of its lifecycle. */
export interface SubmissionRecord {
  student: string;
  id: string;
  object: SubmissionObject;
  status: SubmissionStatus;
  /** ISO 8601 times. submitted_at never changes; updated_at changes with every write. */
  submitted_at: string;
  updated_at: string;
  /** results/<student>/<id>.json: fixed at creation, written only for this submission. */
  result_key: string;
  /** Held while status is "claiming"; a lease past expires_at may be taken over. */
  lease?: { owner: string; expires_at: string };
  /** How many times intake claimed the record (a takeover counts). */
  intake_attempts: number;
  /** The grading job's name, derived from the id (set before the job is submitted). */
  job_name?: string;
  job_id?: string;
  /** Set once graded (a failed job keeps the score of a checkpoint, if it had one). */
  score?: number;
  max_score?: number;
  failure?: SubmissionFailure;
  /** A newer submission of the same student replaced this one while its job was queued. */
  superseded_by?: string;
  /** How many times the sweeper submitted the job again. */
  resubmissions?: number;
  /**
   * Set on a staff regrade: the id of the submission whose upload this record grades again.
   * The regrade is a submission of its own (own id, job and result key), so the original
   * record and result stay as they were.
   */
  regrade_of?: string;
  /** Optimistic-concurrency counter: every write is conditional on the previous one. */
  revision: number;
}

/** What a new record starts with. */
export interface NewSubmission {
  student: string;
  id: string;
  object: SubmissionObject;
  /** Default: the store's clock. */
  submitted_at?: string;
  /** A staff regrade of this submission id (see SubmissionRecord.regrade_of). */
  regrade_of?: string;
}

export interface ClaimRequest extends NewSubmission {
  object: SubmissionObject & { upload: string };
  /** Who claims (e.g. the Lambda request id); renewing one's own lease is allowed. */
  owner: string;
  /** How long the lease lasts: at least as long as the claimer can live (the Lambda timeout). */
  lease_ms: number;
}

export type ClaimOutcome =
  /** The caller holds the lease. takeover: the previous holder's lease had expired. */
  | { claimed: true; record: SubmissionRecord; takeover: boolean }
  /**
   * Not claimed:
   * - held: another owner's lease is live; try again after it expires.
   * - settled: this upload is already past intake (queued or later).
   * - other-upload: the id belongs to a different upload (use the fallback id).
   */
  | { claimed: false; record: SubmissionRecord; why: 'held' | 'settled' | 'other-upload' };

/** Fields a transition may set; null removes an optional field. */
export interface RecordChanges {
  job_name?: string;
  job_id?: string;
  score?: number;
  max_score?: number;
  failure?: SubmissionFailure;
  superseded_by?: string;
  resubmissions?: number;
}

export interface Transition {
  /** The statuses the caller expects the record to be in; anything else is a conflict. */
  from: readonly SubmissionStatus[];
  /** Must not be behind any of `from`; equal only for a non-final status (an annotation). */
  to: SubmissionStatus;
  /** Required to act on a "claiming" record: only the lease holder may move it on. */
  owner?: string;
  set?: RecordChanges;
}

/**
 * The state store port: DynamoDB on AWS, files on disk locally. Every write is conditional;
 * status only moves forward.
 */
export interface SubmissionStateStore {
  /**
   * The API's write before it stores an upload under an id it chose: a "received" record.
   * Idempotent: an existing record is returned unchanged (created: false).
   */
  register(input: NewSubmission): Promise<{ created: boolean; record: SubmissionRecord }>;
  /** Intake's lease: creates the record, binds a registered one, or takes over an expired lease. */
  claim(request: ClaimRequest): Promise<ClaimOutcome>;
  /** Gives up one's lease at once (after an error), so a retry need not wait for it to expire. */
  releaseLease(student: string, id: string, owner: string): Promise<SubmissionRecord>;
  /** A conditional, forward-only change. Throws TransitionConflictError with the current record. */
  transition(student: string, id: string, change: Transition): Promise<SubmissionRecord>;
  get(student: string, id: string): Promise<SubmissionRecord | undefined>;
  /** The student's records, newest submitted_at first (ties: greater id first). */
  listByStudent(student: string): Promise<SubmissionRecord[]>;
  /** Every record not yet final, oldest updated_at first: the sweeper's work list. */
  listUnfinished(): Promise<SubmissionRecord[]>;
}
