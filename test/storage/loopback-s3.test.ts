import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { describe, expect, it } from 'vitest';
import { createLoopbackS3Client } from '../../src/storage/index.js';

/**
 * Why startLoopbackS3 adds S3's If-None-Match answer: s3rver itself overwrites. If a future
 * s3rver honours the header, this test fails and the addition can go.
 */
describe('s3rver 3.7 without the loopback server’s precondition check', () => {
  it('overwrites an existing object despite If-None-Match: *', async () => {
    // Prepare
    const directory = await mkdtemp(path.join(tmpdir(), 'raw-s3rver-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: 'b' }],
    });
    const { port } = await server.run();
    const client = createLoopbackS3Client(`http://127.0.0.1:${port}`);
    const conditionalPut = (body: string) =>
      client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: body, IfNoneMatch: '*' }));
    // Act
    await conditionalPut('first');
    const second = conditionalPut('second');
    // Assess
    await expect(second).resolves.toBeDefined();
    client.destroy();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });
});
