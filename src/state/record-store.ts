import { InvalidSubmissionKeyError, StateStoreError, SubmissionNotFoundError } from './errors.js';
import { STUDENT_PATTERN, SUBMISSION_ID_PATTERN } from './ids.js';
import {
  applyTransition,
  decideClaim,
  newestFirst,
  newRecord,
  oldestUpdateFirst,
  releasedLease,
} from './lifecycle.js';
import type {
  ClaimOutcome,
  ClaimRequest,
  NewSubmission,
  SubmissionRecord,
  SubmissionStateStore,
  Transition,
} from './types.js';

/**
 * What an adapter provides: single-record compare-and-swap on the record's revision, and two
 * queries. Both adapters share the lifecycle's rules through RecordStore, so they cannot drift.
 */
export interface RecordTable {
  read(student: string, id: string): Promise<SubmissionRecord | undefined>;
  /** Writes the record only if none exists; says whether it did. */
  create(record: SubmissionRecord): Promise<boolean>;
  /** Writes the record only if the stored one still has expectedRevision; says whether it did. */
  replace(record: SubmissionRecord, expectedRevision: number): Promise<boolean>;
  queryStudent(student: string): Promise<SubmissionRecord[]>;
  queryUnfinished(): Promise<SubmissionRecord[]>;
}

export interface RecordStoreOptions {
  now?: () => number;
  /** Read-decide-write rounds before giving up under contention. */
  maxRounds?: number;
}

export function checkSubmissionKey(student: string, id: string): void {
  if (!STUDENT_PATTERN.test(student)) {
    throw new InvalidSubmissionKeyError(`"${student}" is not a student name`);
  }
  if (!SUBMISSION_ID_PATTERN.test(id)) {
    throw new InvalidSubmissionKeyError(`"${id}" is not a submission id`);
  }
}

/** The state store port over any RecordTable: optimistic concurrency, retried on a lost race. */
export class RecordStore implements SubmissionStateStore {
  private readonly now: () => number;
  private readonly maxRounds: number;

  constructor(
    private readonly table: RecordTable,
    options: RecordStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxRounds = options.maxRounds ?? 16;
  }

  async register(input: NewSubmission): Promise<{ created: boolean; record: SubmissionRecord }> {
    checkSubmissionKey(input.student, input.id);
    for (let round = 0; round < this.maxRounds; round++) {
      const existing = await this.table.read(input.student, input.id);
      if (existing) return { created: false, record: existing };
      const record = newRecord(input, 'received', this.now());
      if (await this.table.create(record)) return { created: true, record };
    }
    throw this.contended(input.student, input.id);
  }

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    checkSubmissionKey(request.student, request.id);
    for (let round = 0; round < this.maxRounds; round++) {
      const existing = await this.table.read(request.student, request.id);
      const decision = decideClaim(existing, request, this.now());
      if (!('write' in decision)) return decision.outcome;
      const written = existing
        ? await this.table.replace(decision.write, existing.revision)
        : await this.table.create(decision.write);
      if (written) return decision.outcome;
    }
    throw this.contended(request.student, request.id);
  }

  releaseLease(student: string, id: string, owner: string): Promise<SubmissionRecord> {
    return this.update(student, id, (record, now) => releasedLease(record, owner, now));
  }

  transition(student: string, id: string, change: Transition): Promise<SubmissionRecord> {
    return this.update(student, id, (record, now) => applyTransition(record, change, now));
  }

  async get(student: string, id: string): Promise<SubmissionRecord | undefined> {
    checkSubmissionKey(student, id);
    return this.table.read(student, id);
  }

  async listByStudent(student: string): Promise<SubmissionRecord[]> {
    if (!STUDENT_PATTERN.test(student)) {
      throw new InvalidSubmissionKeyError(`"${student}" is not a student name`);
    }
    return (await this.table.queryStudent(student)).sort(newestFirst);
  }

  async listUnfinished(): Promise<SubmissionRecord[]> {
    return (await this.table.queryUnfinished()).sort(oldestUpdateFirst);
  }

  private async update(
    student: string,
    id: string,
    change: (record: SubmissionRecord, now: number) => SubmissionRecord,
  ): Promise<SubmissionRecord> {
    checkSubmissionKey(student, id);
    for (let round = 0; round < this.maxRounds; round++) {
      const existing = await this.table.read(student, id);
      if (!existing) throw new SubmissionNotFoundError(student, id);
      const next = change(existing, this.now());
      if (await this.table.replace(next, existing.revision)) return next;
    }
    throw this.contended(student, id);
  }

  private contended(student: string, id: string): StateStoreError {
    return new StateStoreError(
      `submission ${student}/${id} changed under ${this.maxRounds} attempts in a row to update it`,
    );
  }
}
