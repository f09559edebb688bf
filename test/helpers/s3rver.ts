import type { S3Client } from '@aws-sdk/client-s3';
import {
  createS3Client,
  LOOPBACK_CREDENTIALS,
  type LoopbackS3,
  startLoopbackS3,
} from '../../src/storage/index.js';

export interface TestS3 {
  server: LoopbackS3;
  client: S3Client;
  close(): Promise<void>;
}

/** A silent S3-protocol server on a free loopback port, with the given buckets and a client for it. */
export async function startTestS3(buckets: string[]): Promise<TestS3> {
  const server = await startLoopbackS3({ buckets });
  const client = createS3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: LOOPBACK_CREDENTIALS,
  });
  return {
    server,
    client,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
