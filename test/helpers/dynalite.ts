import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createSubmissionsTable } from '../../src/state/index.js';

export interface TestDynamo {
  client: DynamoDBClient;
  /** http://127.0.0.1:<port>, for clients the code under test makes itself. */
  endpoint: string;
  /** A fresh table shaped as the stack's, under a new name. */
  newTable(): Promise<string>;
  close(): Promise<void>;
}

let tables = 0;

/** A DynamoDB-protocol server (dynalite, in memory) on a free loopback port, and a client. */
export async function startTestDynamo(): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    endpoint,
    async newTable() {
      const name = `submissions-${process.pid}-${++tables}`;
      await createSubmissionsTable(client, name);
      return name;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
