import type { S3Event } from 'aws-lambda';
import { EventShapeError } from './errors.js';
import type { SubmissionRef } from './types.js';

/** S3 event keys are URL-encoded, with "+" for a space. */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new EventShapeError(`object key "${key}" is not URL-encoded as S3 encodes event keys`);
  }
}

/** The created objects an S3 notification names; removals and other records are skipped. */
export function submissionsInEvent(event: S3Event): SubmissionRef[] {
  if (!event || !Array.isArray(event.Records)) {
    throw new EventShapeError('not an S3 event notification: it has no Records array');
  }
  const refs: SubmissionRef[] = [];
  event.Records.forEach((record, index) => {
    if (!record.eventName?.startsWith('ObjectCreated:')) return;
    const bucket = record.s3?.bucket?.name;
    const key = record.s3?.object?.key;
    if (typeof bucket !== 'string' || typeof key !== 'string') {
      throw new EventShapeError(`Records[${index}] names no bucket and key`);
    }
    const { versionId, sequencer, eTag, size } = record.s3.object;
    refs.push({
      bucket,
      key: decodeS3Key(key),
      ...(versionId ? { versionId } : {}),
      ...(sequencer ? { sequencer } : {}),
      ...(eTag ? { eTag } : {}),
      ...(typeof size === 'number' ? { size } : {}),
    });
  });
  return refs;
}
