import { InvalidTransitionError, TransitionConflictError } from './errors.js';
import { resultKeyOf } from './ids.js';
import type {
  ClaimOutcome,
  ClaimRequest,
  NewSubmission,
  PublicStatus,
  SubmissionRecord,
  SubmissionStatus,
  Transition,
} from './types.js';

const RANK: Record<SubmissionStatus, number> = {
  received: 0,
  claiming: 1,
  queued: 2,
  running: 3,
  graded: 4,
  rejected: 4,
  failed: 4,
};

export const FINAL_STATUSES: readonly SubmissionStatus[] = ['graded', 'rejected', 'failed'];
export const UNFINISHED_STATUSES: readonly SubmissionStatus[] = [
  'received',
  'claiming',
  'queued',
  'running',
];

export function isFinalStatus(status: SubmissionStatus): boolean {
  return RANK[status] === 4;
}

/** What a student sees: a record intake has not finished with is already "queued" to them. */
export function publicStatus(status: SubmissionStatus): PublicStatus {
  return status === 'received' || status === 'claiming' ? 'queued' : status;
}

/** The record a new submission starts as. */
export function newRecord(
  input: NewSubmission,
  status: SubmissionStatus,
  now: number,
): SubmissionRecord {
  const at = new Date(now).toISOString();
  return {
    student: input.student,
    id: input.id,
    object: { ...input.object },
    status,
    submitted_at: input.submitted_at ?? at,
    updated_at: at,
    result_key: resultKeyOf(input.student, input.id),
    intake_attempts: 0,
    ...(input.regrade_of !== undefined ? { regrade_of: input.regrade_of } : {}),
    revision: 1,
  };
}

function leased(record: SubmissionRecord, request: ClaimRequest, now: number): SubmissionRecord {
  return {
    ...record,
    object: { ...record.object, ...request.object },
    status: 'claiming',
    lease: { owner: request.owner, expires_at: new Date(now + request.lease_ms).toISOString() },
    intake_attempts: record.intake_attempts + 1,
    updated_at: new Date(now).toISOString(),
    revision: record.revision + 1,
  };
}

/** What a claim does to the record as it stands (undefined: there is none yet). */
export function decideClaim(
  existing: SubmissionRecord | undefined,
  request: ClaimRequest,
  now: number,
): { write: SubmissionRecord; outcome: ClaimOutcome } | { outcome: ClaimOutcome } {
  if (!existing) {
    const record = leased(newRecord(request, 'claiming', now), request, now);
    const created = { ...record, revision: 1 };
    return { write: created, outcome: { claimed: true, record: created, takeover: false } };
  }
  const sameObject =
    existing.object.bucket === request.object.bucket && existing.object.key === request.object.key;
  const boundElsewhere =
    existing.object.upload !== undefined && existing.object.upload !== request.object.upload;
  if (!sameObject || boundElsewhere) {
    return { outcome: { claimed: false, record: existing, why: 'other-upload' } };
  }
  if (existing.status === 'received') {
    const record = leased(existing, request, now);
    return { write: record, outcome: { claimed: true, record, takeover: false } };
  }
  if (existing.status === 'claiming') {
    const lease = existing.lease;
    const expired = !lease || Date.parse(lease.expires_at) <= now;
    if (expired || lease.owner === request.owner) {
      const record = leased(existing, request, now);
      return {
        write: record,
        outcome: {
          claimed: true,
          record,
          takeover: lease !== undefined && lease.owner !== request.owner,
        },
      };
    }
    return { outcome: { claimed: false, record: existing, why: 'held' } };
  }
  return { outcome: { claimed: false, record: existing, why: 'settled' } };
}

/** The record after a transition, or the error that refuses it. */
export function applyTransition(
  existing: SubmissionRecord,
  change: Transition,
  now: number,
): SubmissionRecord {
  const { from, to } = change;
  if (from.length === 0 || from.some((status) => RANK[to] < RANK[status])) {
    throw new InvalidTransitionError(from, to);
  }
  if (from.some((status) => status === to && isFinalStatus(status))) {
    throw new InvalidTransitionError(from, to);
  }
  const expected = `${from.join(' or ')}${change.owner ? ` held by ${change.owner}` : ''}`;
  if (!from.includes(existing.status)) throw new TransitionConflictError(existing, expected);
  if (existing.status === 'claiming') {
    // Only the lease holder moves a claimed record on, and only while the lease is live.
    const lease = existing.lease;
    const live = lease !== undefined && Date.parse(lease.expires_at) > now;
    if (change.owner !== undefined && (!live || lease.owner !== change.owner)) {
      throw new TransitionConflictError(existing, expected);
    }
    if (change.owner === undefined && live) throw new TransitionConflictError(existing, expected);
  }
  const { lease: _lease, ...rest } = existing;
  return {
    ...rest,
    ...change.set,
    ...(to === 'claiming' && existing.lease ? { lease: existing.lease } : {}),
    status: to,
    updated_at: new Date(now).toISOString(),
    revision: existing.revision + 1,
  };
}

/** The record with the holder's lease ended now, so a retry may take it at once. */
export function releasedLease(
  existing: SubmissionRecord,
  owner: string,
  now: number,
): SubmissionRecord {
  if (existing.status !== 'claiming' || existing.lease?.owner !== owner) {
    throw new TransitionConflictError(existing, `claiming held by ${owner}`);
  }
  return {
    ...existing,
    lease: { owner, expires_at: new Date(now).toISOString() },
    updated_at: new Date(now).toISOString(),
    revision: existing.revision + 1,
  };
}

/** Newest submitted first; equal times by id, greater first (chosen ids sort by time). */
export function newestFirst(a: SubmissionRecord, b: SubmissionRecord): number {
  if (a.submitted_at !== b.submitted_at) return a.submitted_at < b.submitted_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function oldestUpdateFirst(a: SubmissionRecord, b: SubmissionRecord): number {
  if (a.updated_at !== b.updated_at) return a.updated_at < b.updated_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
