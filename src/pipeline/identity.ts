import { createHash } from 'node:crypto';
import type { SubmissionIdentity } from '../rubric/index.js';
import { submissionSource } from './keys.js';
import type { SubmissionRef } from './types.js';

/** How a result names the exact bytes it graded. */
export function identityOf(
  ref: Pick<SubmissionRef, 'bucket' | 'key' | 'versionId'>,
  bytes: Uint8Array | undefined,
): SubmissionIdentity {
  return {
    sha256: bytes ? createHash('sha256').update(bytes).digest('hex') : null,
    bytes: bytes ? bytes.byteLength : null,
    source: submissionSource(ref),
  };
}
