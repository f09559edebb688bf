import type { SubmissionRef } from './types.js';

/** Object prefixes: students upload under one, results and claims appear under the others. */
export const SUBMISSIONS_PREFIX = 'submissions/';
export const RESULTS_PREFIX = 'results/';
export const CLAIMS_PREFIX = 'claims/';

/** The part of a key after submissions/, or a reason the key is not a student's submission. */
export function submissionPath(key: string): { path: string } | { notASubmission: string } {
  if (!key.startsWith(SUBMISSIONS_PREFIX)) {
    return { notASubmission: `it is outside ${SUBMISSIONS_PREFIX}` };
  }
  const rest = key.slice(SUBMISSIONS_PREFIX.length);
  if (rest.endsWith('/')) return { notASubmission: 'it is a folder marker' };
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) {
    return { notASubmission: `it is not under ${SUBMISSIONS_PREFIX}<student>/` };
  }
  return { path: rest };
}

/** submissions/<student>/<name>.json → results/<student>/<name>.json (".json" added if absent). */
export function resultKeyFor(submissionKey: string): string {
  const rest = submissionKey.startsWith(SUBMISSIONS_PREFIX)
    ? submissionKey.slice(SUBMISSIONS_PREFIX.length)
    : submissionKey;
  return `${RESULTS_PREFIX}${rest.endsWith('.json') ? rest : `${rest}.json`}`;
}

/**
 * The claim that one delivery of this upload's event made. A version id names the upload
 * exactly; without versioning, the sequencer and ETag of the event do.
 */
export function claimKeyFor(ref: SubmissionRef): string {
  const upload = ref.versionId
    ? `version-${ref.versionId}`
    : `event-${ref.sequencer ?? 'none'}-${ref.eTag ?? 'none'}`;
  return `${CLAIMS_PREFIX}${ref.key}/${encodeURIComponent(upload)}.json`;
}

/** How results name their submission: s3://bucket/key, with ?versionId= when versioned. */
export function submissionSource(ref: Pick<SubmissionRef, 'bucket' | 'key' | 'versionId'>): string {
  const base = `s3://${ref.bucket}/${ref.key}`;
  return ref.versionId ? `${base}?versionId=${encodeURIComponent(ref.versionId)}` : base;
}
