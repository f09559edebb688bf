import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StateStoreError } from './errors.js';
import { UNFINISHED_STATUSES } from './lifecycle.js';
import { RecordStore, type RecordStoreOptions, type RecordTable } from './record-store.js';
import type { SubmissionRecord } from './types.js';

/**
 * The table's shape, shared with the CDK stack. Records are items keyed by student and id;
 * an unfinished record also carries open_status (its status), which puts it in the sparse
 * open-status index the sweeper queries; final records drop it and leave the index.
 */
export const SUBMISSIONS_TABLE = {
  partitionKey: 'student',
  sortKey: 'id',
  openIndex: { name: 'open-status', partitionKey: 'open_status', sortKey: 'updated_at' },
} as const;

type Item = SubmissionRecord & { open_status?: string };

function toItem(record: SubmissionRecord): Item {
  return UNFINISHED_STATUSES.includes(record.status)
    ? { ...record, open_status: record.status }
    : { ...record };
}

function fromItem(item: Record<string, unknown>): SubmissionRecord {
  const { open_status: _open, ...record } = item as unknown as Item;
  return record;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export interface DynamoDbStateStoreOptions extends RecordStoreOptions {
  tableName: string;
  client?: DynamoDBClient;
}

/** Records in a DynamoDB table; every write is a PutItem with a condition on the revision. */
export class DynamoDbRecordTable implements RecordTable {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async read(student: string, id: string): Promise<SubmissionRecord | undefined> {
    try {
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: { student, id }, ConsistentRead: true }),
      );
      return Item ? fromItem(Item) : undefined;
    } catch (error) {
      throw new StateStoreError(`cannot read ${student}/${id}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  create(record: SubmissionRecord): Promise<boolean> {
    return this.conditionalPut(
      record,
      'attribute_not_exists(#student)',
      {},
      { '#student': 'student' },
    );
  }

  replace(record: SubmissionRecord, expectedRevision: number): Promise<boolean> {
    return this.conditionalPut(
      record,
      '#revision = :expected',
      { ':expected': expectedRevision },
      { '#revision': 'revision' },
    );
  }

  private async conditionalPut(
    record: SubmissionRecord,
    condition: string,
    values: Record<string, unknown>,
    names: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(record),
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new StateStoreError(`cannot write ${record.student}/${record.id}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  queryStudent(student: string): Promise<SubmissionRecord[]> {
    return this.query({
      TableName: this.tableName,
      KeyConditionExpression: '#student = :student',
      ExpressionAttributeNames: { '#student': SUBMISSIONS_TABLE.partitionKey },
      ExpressionAttributeValues: { ':student': student },
      ConsistentRead: true,
    });
  }

  async queryUnfinished(): Promise<SubmissionRecord[]> {
    const records: SubmissionRecord[] = [];
    for (const status of UNFINISHED_STATUSES) {
      const found = await this.query({
        TableName: this.tableName,
        IndexName: SUBMISSIONS_TABLE.openIndex.name,
        KeyConditionExpression: '#open = :status',
        ExpressionAttributeNames: { '#open': SUBMISSIONS_TABLE.openIndex.partitionKey },
        ExpressionAttributeValues: { ':status': status },
      });
      // The index is eventually consistent: it may still list a record that just finished.
      records.push(...found.filter((record) => record.status === status));
    }
    return records;
  }

  private async query(input: QueryCommandInput): Promise<SubmissionRecord[]> {
    const records: SubmissionRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      try {
        const page = await this.documents.send(
          new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        for (const item of page.Items ?? []) records.push(fromItem(item));
        start = page.LastEvaluatedKey;
      } catch (error) {
        throw new StateStoreError(`cannot query ${this.tableName}: ${describe(error)}`, {
          cause: error,
        });
      }
    } while (start);
    return records;
  }
}

/** The state store on AWS: records in the stack's DynamoDB table. */
export function createDynamoDbStateStore(options: DynamoDbStateStoreOptions): RecordStore {
  return new RecordStore(new DynamoDbRecordTable(options.tableName, options.client), options);
}

/**
 * Creates the table as the stack defines it, for tests and the local flow against a
 * DynamoDB-protocol server; the deployed table comes from CDK.
 */
export async function createSubmissionsTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<void> {
  const { partitionKey, sortKey, openIndex } = SUBMISSIONS_TABLE;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
        { AttributeName: openIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: openIndex.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: openIndex.name,
          KeySchema: [
            { AttributeName: openIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: openIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
}
