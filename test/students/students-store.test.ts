import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStudentsTable,
  DynamoDbStudentsStore,
  FileSystemStudentsStore,
  hashToken,
  issueToken,
  QUOTA_WINDOW_MS,
  type QuotaStore,
  StudentExistsError,
  type StudentsStore,
  TokenAuthenticator,
} from '../../src/students/index.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite.js';

type Store = StudentsStore & QuotaStore;

let root: string;
let dynamo: TestDynamo;
let tables = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'students-store-'));
  dynamo = await startTestDynamo();
});

afterAll(async () => {
  await dynamo.close();
  await rm(root, { recursive: true, force: true });
});

const adapters: Array<{ name: string; open: () => Promise<Store> }> = [
  {
    name: 'files under --state',
    open: async () => new FileSystemStudentsStore(await mkdtemp(path.join(root, 'state-'))),
  },
  {
    name: 'DynamoDB (dynalite on loopback)',
    open: async () => {
      const table = `students-${++tables}`;
      await createStudentsTable(dynamo.client, table);
      return new DynamoDbStudentsStore({ table, client: dynamo.client });
    },
  },
];

const NOW = '2026-12-01T12:00:00.000Z';

async function addStudent(store: Store, student: string): Promise<string> {
  const token = issueToken();
  await store.add({ student, tokenSha256: hashToken(token), createdAt: NOW });
  return token;
}

describe.each(adapters)('students store: $name', ({ open }) => {
  it('authenticates a student by token until the token is revoked', async () => {
    // Prepare
    const store = await open();
    const token = await addStudent(store, 'alice');
    const auth = new TokenAuthenticator(store);
    // Act
    const before = await auth.authenticate({ authorization: `Bearer ${token}` });
    const revoked = await store.revoke('alice', NOW);
    const after = await auth.authenticate({ authorization: `Bearer ${token}` });
    // Assess
    expect(before).toEqual({ student: 'alice', method: 'token' });
    expect(revoked).toBe(true);
    expect(after).toBeUndefined();
    expect(await store.revoke('alice', NOW)).toBe(false);
  });

  it('knows no token it did not issue, and stores no token, only its hash', async () => {
    // Prepare
    const store = await open();
    const token = await addStudent(store, 'bob');
    // Act
    const unknown = await new TokenAuthenticator(store).authenticate({
      authorization: `Bearer ${issueToken()}`,
    });
    const records = await store.list();
    // Assess
    expect(unknown).toBeUndefined();
    expect(records).toEqual([
      { student: 'bob', token_sha256: hashToken(token), created_at: NOW, revoked_at: null },
    ]);
    expect(JSON.stringify(records)).not.toContain(token);
  });

  it('refuses a second token while the first is active, and issues one after revocation', async () => {
    // Prepare
    const store = await open();
    const first = await addStudent(store, 'carol');
    // Act
    const second = addStudent(store, 'carol');
    // Assess
    await expect(second).rejects.toBeInstanceOf(StudentExistsError);
    await store.revoke('carol', NOW);
    const third = await addStudent(store, 'carol');
    const auth = new TokenAuthenticator(store);
    expect(await auth.authenticate({ authorization: `Bearer ${first}` })).toBeUndefined();
    expect(await auth.authenticate({ authorization: `Bearer ${third}` })).toMatchObject({
      student: 'carol',
    });
    expect((await store.list()).map((r) => r.revoked_at)).toEqual([null]);
  });

  it('gives the last quota slot to exactly one of many concurrent requests', async () => {
    // Prepare
    const store = await open();
    const now = Date.parse(NOW);
    await store.take('dave', now - 1000, 3, QUOTA_WINDOW_MS);
    await store.take('dave', now - 500, 3, QUOTA_WINDOW_MS);
    // Act
    const decisions = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.take('dave', now + i, 3, QUOTA_WINDOW_MS)),
    );
    // Assess
    expect(decisions.filter((d) => d.allowed)).toHaveLength(1);
    expect(await store.slots('dave', now + 10, QUOTA_WINDOW_MS)).toHaveLength(3);
    const refused = decisions.find((d) => !d.allowed);
    expect(refused).toMatchObject({ state: { used: 3, remaining: 0 } });
  });

  it('gives back a released slot, and keeps students apart', async () => {
    // Prepare
    const store = await open();
    const now = Date.parse(NOW);
    const taken = await store.take('erin', now, 1, QUOTA_WINDOW_MS);
    // Act
    const full = await store.take('erin', now + 1, 1, QUOTA_WINDOW_MS);
    const other = await store.take('frank', now + 1, 1, QUOTA_WINDOW_MS);
    if (taken.allowed) await store.release('erin', taken.slot);
    const again = await store.take('erin', now + 2, 1, QUOTA_WINDOW_MS);
    // Assess
    expect(full.allowed).toBe(false);
    expect(other.allowed).toBe(true);
    expect(again.allowed).toBe(true);
  });
});
