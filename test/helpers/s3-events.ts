import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { decodeS3Key } from '../../src/pipeline/index.js';
import type { TestS3 } from './s3rver.js';

/**
 * Uploads an object to the loopback server and answers with the S3 event the server emitted
 * for it, as S3 would deliver it to on-submission.
 */
export async function uploadAndCaptureEvent(
  s3: TestS3,
  bucket: string,
  key: string,
  body: Uint8Array | string,
): Promise<S3Event> {
  const emitted = new Promise<S3Event>((resolve) => {
    s3.server.onEvent((event) => {
      const emitted = event.Records[0]?.s3.object.key;
      if (emitted !== undefined && decodeS3Key(emitted) === key) resolve(event);
    });
  });
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return emitted;
}
