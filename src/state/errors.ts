import type { SubmissionRecord, SubmissionStatus } from './types.js';

/** The record is not in a state the change expects (another writer moved it, or it is final). */
export class TransitionConflictError extends Error {
  override name = 'TransitionConflictError';
  constructor(
    readonly current: SubmissionRecord,
    expected: string,
  ) {
    super(
      `submission ${current.student}/${current.id} is ${current.status}${current.lease ? ` (lease of ${current.lease.owner})` : ''}; expected ${expected}`,
    );
  }
}

/** A change that would move a status backwards or out of a final status: a programming error. */
export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
  constructor(from: readonly SubmissionStatus[], to: SubmissionStatus) {
    super(`status may only move forward; ${from.join('|')} → ${to} is not allowed`);
  }
}

export class SubmissionNotFoundError extends Error {
  override name = 'SubmissionNotFoundError';
  constructor(student: string, id: string) {
    super(`no submission ${student}/${id}`);
  }
}

/** The store itself failed (I/O, the table, too many concurrent writers). */
export class StateStoreError extends Error {
  override name = 'StateStoreError';
}

/** A student name or submission id outside the key grammar. */
export class InvalidSubmissionKeyError extends Error {
  override name = 'InvalidSubmissionKeyError';
}
