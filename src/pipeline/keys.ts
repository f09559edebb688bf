import { RESULTS_PREFIX, SUBMISSIONS_PREFIX } from '../state/index.js';
import type { SubmissionRef } from './types.js';

/** Object prefixes: students upload under one, result files appear under the other. */
export { RESULTS_PREFIX, SUBMISSIONS_PREFIX };

/**
 * The longest submission key intake accepts, in UTF-8 bytes. Keys travel in job environments,
 * records and result files; half of S3's 1,024 leaves room for everything derived from them.
 */
export const MAX_SUBMISSION_KEY_BYTES = 512;

/** How results name their submission: s3://bucket/key, with ?versionId= when versioned. */
export function submissionSource(ref: Pick<SubmissionRef, 'bucket' | 'key' | 'versionId'>): string {
  const base = `s3://${ref.bucket}/${ref.key}`;
  return ref.versionId ? `${base}?versionId=${encodeURIComponent(ref.versionId)}` : base;
}
