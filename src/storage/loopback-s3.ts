import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import type { S3rverContext } from 's3rver';
import { StorageError } from './errors.js';
import { createS3Client } from './s3-store.js';

/** The credentials s3rver accepts; they are public and only open the loopback server. */
export const LOOPBACK_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** An S3 client for a loopback server's endpoint: path-style URLs and its credentials. */
export function createLoopbackS3Client(endpoint: string): S3Client {
  return createS3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: LOOPBACK_CREDENTIALS,
  });
}

export interface LoopbackS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Called with each S3-shaped ObjectCreated/ObjectRemoved event, in-process. */
  onEvent(listener: (event: S3Event) => void): void;
  close(): Promise<void>;
}

export interface LoopbackS3Options {
  buckets: string[];
  /** Where objects are kept; default a fresh temporary directory, removed on close. */
  directory?: string;
  /** Port 0 (default) picks a free one. */
  port?: number;
}

/**
 * Starts an S3-protocol server on 127.0.0.1 (s3rver) for tests and the local pipeline.
 *
 * s3rver 3.7 ignores If-None-Match on PutObject and overwrites, where S3 answers
 * 412 PreconditionFailed. The claim that stops a duplicate event from starting a second job
 * relies on that answer, so the server is given S3's behaviour here.
 */
export async function startLoopbackS3(options: LoopbackS3Options): Promise<LoopbackS3> {
  let S3rver: typeof import('s3rver').default;
  try {
    S3rver = (await import('s3rver')).default;
  } catch (error) {
    throw new StorageError(
      's3rver is not installed; the local pipeline needs the dev dependencies (npm install in a clone)',
      { cause: error },
    );
  }
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(path.join(tmpdir(), 'autograder-s3-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  // The router is the last middleware; the precondition check has to run before it.
  server.middleware.splice(server.middleware.length - 1, 0, conditionalPutMiddleware());
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    onEvent(listener) {
      server.on('event', (event: S3Event) => listener(encodeEventKeys(event)));
    },
    async close() {
      await server.close();
      if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * S3 puts keys in event notifications URL-encoded, a space as "+" (so "my+net.json" arrives as
 * "my%2Bnet.json"); s3rver puts them raw. Encoding them here gives consumers S3's events.
 */
export function encodeEventKeys(event: S3Event): S3Event {
  return {
    ...event,
    Records: event.Records.map((record) => ({
      ...record,
      s3: {
        ...record.s3,
        object: { ...record.s3.object, key: encodeS3EventKey(record.s3.object.key) },
      },
    })),
  };
}

export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

/** Answers PutObject with If-None-Match: * like S3: 412 when the key exists. */
function conditionalPutMiddleware() {
  // Check-then-write must not interleave with another write to the same key.
  const locks = new Map<string, Promise<void>>();
  return async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    const [, bucket, ...keyParts] = ctx.path.split('/');
    const key = keyParts.join('/');
    if (ctx.method !== 'PUT' || ctx.headers['if-none-match'] !== '*' || !bucket || !key) {
      await next();
      return;
    }
    const lockKey = `${bucket}/${key}`;
    const previous = locks.get(lockKey) ?? Promise.resolve();
    let release = () => {};
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => current);
    locks.set(lockKey, chained);
    await previous;
    try {
      if (await ctx.store.existsObject(bucket, decodeURIComponent(key))) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
          '<Condition>If-None-Match</Condition></Error>';
        return;
      }
      await next();
    } finally {
      release();
      if (locks.get(lockKey) === chained) locks.delete(lockKey);
    }
  };
}
