import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileSystemObjectStore,
  InvalidKeyError,
  type ObjectStore,
  ObjectTooLargeError,
  S3ObjectStore,
} from '../../src/storage/index.js';
import { startTestS3, type TestS3 } from '../helpers/s3rver.js';

const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

/** One behaviour, two adapters: the port's contract holds for both. */
interface Adapter {
  name: string;
  open(): Promise<{ store: ObjectStore; close(): Promise<void> }>;
}

let s3: TestS3;
let bucketCount = 0;

const adapters: Adapter[] = [
  {
    name: 'FileSystemObjectStore',
    async open() {
      const dir = await mkdtemp(path.join(tmpdir(), 'store-test-'));
      return {
        store: new FileSystemObjectStore(dir),
        close: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'S3ObjectStore on the loopback server',
    async open() {
      // A fresh bucket per test keeps tests independent on one server.
      const bucket = `bucket-${bucketCount++}`;
      const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
      await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
      return { store: new S3ObjectStore({ bucket, client: s3.client }), close: async () => {} };
    },
  },
];

beforeAll(async () => {
  s3 = await startTestS3([]);
});
afterAll(async () => {
  await s3.close();
});

describe.each(adapters)('$name', (adapter) => {
  it('reads back what it wrote, as bytes or text', async () => {
    // Prepare
    const { store, close } = await adapter.open();
    // Act
    const wroteText = await store.put('submissions/alice/net.json', '{"a":1}', {
      contentType: 'application/json',
    });
    const wroteBytes = await store.put('data/x.bin', new Uint8Array([0, 1, 255]));
    // Assess
    expect(wroteText).toBe(true);
    expect(wroteBytes).toBe(true);
    expect(text(await store.get('submissions/alice/net.json'))).toBe('{"a":1}');
    expect(Array.from((await store.get('data/x.bin')) ?? [])).toEqual([0, 1, 255]);
    await close();
  });

  it('answers undefined for a missing object', async () => {
    // Prepare
    const { store, close } = await adapter.open();
    // Act
    const missing = await store.get('results/nobody.json');
    // Assess
    expect(missing).toBeUndefined();
    await close();
  });

  it('overwrites without a condition', async () => {
    // Prepare
    const { store, close } = await adapter.open();
    await store.put('k.json', 'first');
    // Act
    const wrote = await store.put('k.json', 'second');
    // Assess
    expect(wrote).toBe(true);
    expect(text(await store.get('k.json'))).toBe('second');
    await close();
  });

  it('writes with ifNoneMatch only when the key is free, and keeps the first body', async () => {
    // Prepare
    const { store, close } = await adapter.open();
    // Act
    const first = await store.put('claims/a', 'one', { ifNoneMatch: true });
    const second = await store.put('claims/a', 'two', { ifNoneMatch: true });
    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(text(await store.get('claims/a'))).toBe('one');
    await close();
  });

  it('lets exactly one of many concurrent conditional writes win', async () => {
    // Prepare
    const { store, close } = await adapter.open();
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.put('claims/race', `writer ${i}`, { ifNoneMatch: true }),
      ),
    );
    // Assess
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const winner = outcomes.indexOf(true);
    expect(text(await store.get('claims/race'))).toBe(`writer ${winner}`);
    await close();
  });

  it('refuses an object over maxBytes and reads one at the limit', async () => {
    // Prepare
    const { store, close } = await adapter.open();
    await store.put('big', new Uint8Array(1000));
    // Act
    const atLimit = await store.get('big', { maxBytes: 1000 });
    const overLimit = store.get('big', { maxBytes: 999 });
    // Assess
    expect(atLimit?.byteLength).toBe(1000);
    await expect(overLimit).rejects.toThrow(ObjectTooLargeError);
    await expect(overLimit).rejects.toThrow(/"big" is 1000 bytes; the limit is 999/);
    await close();
  });

  it('lists keys under a prefix, sorted, and forgets deleted ones', async () => {
    // Prepare
    const { store, close } = await adapter.open();
    for (const key of ['results/b/x.json', 'results/a/y.json', 'submissions/a/y.json']) {
      await store.put(key, '{}');
    }
    // Act
    const before = await store.list('results/');
    await store.delete('results/b/x.json');
    await store.delete('results/never-existed.json');
    const after = await store.list('results/');
    // Assess
    expect(before).toEqual(['results/a/y.json', 'results/b/x.json']);
    expect(after).toEqual(['results/a/y.json']);
    await close();
  });
});

describe('FileSystemObjectStore keys', () => {
  const cases = [
    { description: 'parent segment', key: '../outside.json' },
    { description: 'nested parent segment', key: 'a/../../outside.json' },
    { description: 'absolute path', key: '/etc/passwd' },
    { description: 'empty key', key: '' },
    { description: 'empty segment', key: 'a//b' },
    { description: 'directory-like key', key: 'a/' },
  ];

  it.each(cases)('refuses a key with a $description', async ({ key }) => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'store-test-'));
    const store = new FileSystemObjectStore(dir);
    // Act
    const write = store.put(key, 'x');
    // Assess
    await expect(write).rejects.toThrow(InvalidKeyError);
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves no temporary files behind after writes', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'store-test-'));
    const store = new FileSystemObjectStore(dir);
    // Act
    await store.put('a/b.json', '1');
    await store.put('a/b.json', '2', { ifNoneMatch: true });
    // Assess
    expect(await readdir(path.join(dir, 'a'))).toEqual(['b.json']);
    await rm(dir, { recursive: true, force: true });
  });
});
