import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { StudentExistsError } from './errors.js';
import { slotsInWindow, takeSlot } from './quota.js';
import type { QuotaDecision, QuotaStore, StudentRecord, StudentsStore } from './types.js';

export interface DynamoDbStudentsStoreOptions {
  table: string;
  client?: DynamoDBClient;
  /** Attempts of a quota update that lost a race to a concurrent one. */
  maxAttempts?: number;
}

/** The table's one key attribute; item kinds share the table by prefix. */
export const STUDENTS_TABLE_KEY = 'pk';
const STUDENT = 'student#';
const TOKEN = 'token#';
const QUOTA = 'quota#';

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

/**
 * Students, token hashes and quota slots in one DynamoDB table keyed by `pk`:
 * student#<name> (current token hash, times), token#<sha256> (whose, revoked?) and
 * quota#<name> (slot times and a version). Every write is conditional; the order of the
 * two writes of adding and revoking is chosen so that a crash between them never leaves a
 * working token that looks revoked. A quota slot is taken with a conditional write on the
 * version, so two concurrent requests can never both take the last slot.
 */
export class DynamoDbStudentsStore implements StudentsStore, QuotaStore {
  private readonly table: string;
  private readonly client: DynamoDBClient;
  private readonly maxAttempts: number;

  constructor(options: DynamoDbStudentsStoreOptions) {
    this.table = options.table;
    this.client = options.client ?? new DynamoDBClient({});
    this.maxAttempts = options.maxAttempts ?? 20;
  }

  async add(entry: { student: string; tokenSha256: string; createdAt: string }): Promise<void> {
    // The token item first: until the student item names it, nobody holds the token (it has not
    // been shown), so a crash in between leaves only an item no request can match.
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: s(`${TOKEN}${entry.tokenSha256}`),
          student: s(entry.student),
          created_at: s(entry.createdAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: s(`${STUDENT}${entry.student}`),
            student: s(entry.student),
            token_sha256: s(entry.tokenSha256),
            created_at: s(entry.createdAt),
          },
          // A new student, or one whose last token was revoked.
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(revoked_at)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: s(`${TOKEN}${entry.tokenSha256}`) },
        }),
      );
      throw new StudentExistsError(entry.student);
    }
  }

  async findByTokenHash(
    tokenSha256: string,
  ): Promise<{ student: string; revoked: boolean } | undefined> {
    const item = await this.get(`${TOKEN}${tokenSha256}`);
    const student = item?.student?.S;
    if (student === undefined) return undefined;
    return { student, revoked: item?.revoked_at !== undefined };
  }

  async list(): Promise<StudentRecord[]> {
    const records: StudentRecord[] = [];
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.table,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': s(STUDENT) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        records.push({
          student: item.student?.S ?? '',
          token_sha256: item.token_sha256?.S ?? '',
          created_at: item.created_at?.S ?? '',
          revoked_at: item.revoked_at?.S ?? null,
        });
      }
    }
    return records.sort((a, b) => a.student.localeCompare(b.student));
  }

  async revoke(student: string, at: string): Promise<boolean> {
    const item = await this.get(`${STUDENT}${student}`);
    const hash = item?.token_sha256?.S;
    if (hash === undefined || item?.revoked_at !== undefined) return false;
    // The token item is what authentication reads: revoke it first, so the student item never
    // says "revoked" while the token still works. Repeating a half-done revocation completes it.
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: s(`${TOKEN}${hash}`) },
        UpdateExpression: 'SET revoked_at = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': s(at) },
      }),
    );
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: s(`${STUDENT}${student}`) },
          UpdateExpression: 'SET revoked_at = :at',
          ConditionExpression: 'token_sha256 = :hash AND attribute_not_exists(revoked_at)',
          ExpressionAttributeValues: { ':at': s(at), ':hash': s(hash) },
        }),
      );
    } catch (error) {
      // Revoked by someone else in between.
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    return true;
  }

  async take(
    student: string,
    now: number,
    limit: number,
    windowMs: number,
  ): Promise<QuotaDecision> {
    return this.updateSlots(student, (slots) => {
      const outcome = takeSlot(slots, now, limit, windowMs);
      if (!outcome.allowed) return { write: undefined, answer: outcome };
      return {
        write: outcome.slots,
        answer: { allowed: true, state: outcome.state, slot: now } as QuotaDecision,
      };
    });
  }

  async release(student: string, slot: number): Promise<void> {
    await this.updateSlots(student, (slots) => {
      const index = slots.indexOf(slot);
      if (index < 0) return { write: undefined, answer: undefined };
      return { write: slots.filter((_, i) => i !== index), answer: undefined };
    });
  }

  async slots(student: string, now: number, windowMs: number): Promise<number[]> {
    const { slots } = await this.readSlots(student);
    return slotsInWindow(slots, now, windowMs);
  }

  /** Read, decide, conditional write on the version; again from the read if another won. */
  private async updateSlots<T>(
    student: string,
    decide: (slots: number[]) => { write: number[] | undefined; answer: T },
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const { slots, version } = await this.readSlots(student);
      const { write, answer } = decide(slots);
      if (write === undefined) return answer;
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: s(`${QUOTA}${student}`),
              slots: { L: write.map(n) },
              version: n(version + 1),
            },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ':version': n(version) } }),
          }),
        );
        return answer;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= this.maxAttempts) {
          throw error;
        }
      }
    }
  }

  private async readSlots(student: string): Promise<{ slots: number[]; version: number }> {
    const item = await this.get(`${QUOTA}${student}`);
    return {
      slots: (item?.slots?.L ?? []).map((value) => Number(value.N)),
      version: Number(item?.version?.N ?? 0),
    };
  }

  private async get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: s(pk) }, ConsistentRead: true }),
    );
    return Item;
  }
}

/** Creates a students table shaped as the stack's (for tests and local DynamoDB servers). */
export async function createStudentsTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: STUDENTS_TABLE_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: STUDENTS_TABLE_KEY, KeyType: 'HASH' }],
    }),
  );
}
