import type { S3Client } from '@aws-sdk/client-s3';
import { isResultFile, type ResultFile } from '../../src/rubric/index.js';
import {
  createLoopbackS3Client,
  type LoopbackS3,
  type ObjectStore,
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

/** The result file stored under key, undefined when there is none; throws if it is not one. */
export async function readResultFile(
  store: ObjectStore,
  key: string,
): Promise<ResultFile | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (!isResultFile(parsed)) throw new Error(`${key} is not a result file`);
  return parsed;
}
