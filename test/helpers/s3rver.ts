import type { S3Client } from '@aws-sdk/client-s3';
import {
  createLoopbackS3Client,
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
  const client = createLoopbackS3Client(server.endpoint);
  return {
    server,
    client,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
