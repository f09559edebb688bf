import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/service/api.js';
import { handleApiGatewayEvent } from '../../src/service/lambda-adapter.js';
import { RecordDesk } from '../../src/service/record-desk.js';
import { createFileSystemStateStore } from '../../src/state/index.js';
import { FileSystemObjectStore } from '../../src/storage/index.js';
import {
  FileSystemStudentsStore,
  hashToken,
  issueToken,
  TokenAuthenticator,
} from '../../src/students/index.js';

const TINY = fileURLToPath(new URL('../../rubric/examples/tiny.json', import.meta.url));

let root: string;
let deps: ApiDeps;
let files: FileSystemObjectStore;
const token = issueToken();

function event(
  method: string,
  rawPath: string,
  body?: { text: string; base64?: boolean },
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} /api/{proxy+}`,
    rawPath,
    rawQueryString: '',
    headers: { Authorization: `Bearer ${token}` },
    isBase64Encoded: body?.base64 ?? false,
    ...(body ? { body: body.base64 ? Buffer.from(body.text).toString('base64') : body.text } : {}),
    requestContext: { http: { method, path: rawPath } },
  } as unknown as APIGatewayProxyEventV2;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'student-api-lambda-'));
  const students = new FileSystemStudentsStore(path.join(root, 'students'));
  await students.add({
    student: 'alice',
    tokenSha256: hashToken(token),
    createdAt: new Date().toISOString(),
  });
  files = new FileSystemObjectStore(path.join(root, 'files'));
  deps = {
    authenticator: new TokenAuthenticator(students),
    quotas: students,
    desk: new RecordDesk({
      records: createFileSystemStateStore(path.join(root, 'records')),
      submissions: files,
      submissionsBucket: 'submissions-bucket',
      results: files,
    }),
  };
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the API behind API Gateway (payload 2.0)', () => {
  it('takes a base64 body, stores it under submissions/<student>/<id>.json and answers 201', async () => {
    // Prepare
    const text = await readFile(TINY, 'utf8');
    // Act
    const response = await handleApiGatewayEvent(
      event('POST', '/api/submissions', { text, base64: true }),
      deps,
    );
    // Assess
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body ?? '{}');
    expect(body).toMatchObject({ status: 'queued', quota: { used: 1 } });
    const stored = await files.get(`submissions/alice/${body.id}.json`);
    expect(new TextDecoder().decode(stored)).toBe(text);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8' });
  });

  it('answers 413 for a body over the cap and 404 for an encoded slash in rawPath', async () => {
    // Act
    const big = await handleApiGatewayEvent(
      event('POST', '/api/submissions', { text: ' '.repeat(262_145) }),
      deps,
    );
    const trick = await handleApiGatewayEvent(event('GET', '/api/submissions/..%2Fbob'), deps);
    // Assess
    expect(big.statusCode).toBe(413);
    expect(trick.statusCode).toBe(404);
  });
});
