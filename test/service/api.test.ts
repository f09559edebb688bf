import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import { DEFAULT_RUBRIC, type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import { captureIo } from '../helpers/io.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const EXAMPLES = fileURLToPath(new URL('../../rubric/examples/', import.meta.url));
const QUOTA = 3;

let root: string;
let serve: ServeProcess;
let tiny: Uint8Array;
const tokens: Record<string, string> = {};

async function students(args: string[], state: string): Promise<string> {
  const io = captureIo();
  const code = await main(['students', ...args, '--state', state], io);
  expect(code, io.err()).toBe(0);
  return io.out();
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'student-api-'));
  const data = path.join(root, 'data');
  const state = path.join(root, 'state');
  await writeCifar10Dir(data, syntheticCifar10({ train: 96, test: 48, seed: 5 }));
  const added = await students(['add', 'alice', 'bob', 'dave', 'carol'], state);
  for (const line of added.trim().split('\n')) {
    const [name, token] = line.split('\t');
    if (name && token) tokens[name] = token;
  }
  await students(['revoke', 'carol'], state);
  tiny = await readFile(path.join(EXAMPLES, 'tiny.json'));
  serve = await startServe([
    '--port',
    '0',
    '--state',
    state,
    '--data',
    data,
    '--backend',
    'wasm',
    '--quota',
    String(QUOTA),
  ]);
});

afterAll(async () => {
  await serve?.stop();
  await rm(root, { recursive: true, force: true });
});

function api(
  route: string,
  options: {
    token?: string;
    method?: string;
    body?: Uint8Array | string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  return fetch(`${serve.url}${route}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON field by field.
type Json = any;

/** A response's JSON body. */
async function json(response: Response | undefined): Promise<Json> {
  return response?.json();
}

/** Polls a submission until it leaves queued/running; returns every status seen, in order. */
async function follow(token: string, id: string): Promise<{ statuses: string[]; last: Json }> {
  const statuses: string[] = [];
  for (let i = 0; i < 600; i += 1) {
    const body = (await json(await api(`/api/submissions/${id}`, { token }))) as Record<
      string,
      unknown
    >;
    if (statuses.at(-1) !== body.status) statuses.push(String(body.status));
    if (body.status !== 'queued' && body.status !== 'running') return { statuses, last: body };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`submission ${id} never finished: ${statuses.join(' → ')}`);
}

/** A raw request whose path is sent exactly as written (fetch would normalise "..") */
function rawGet(route: string, token: string): Promise<number> {
  const url = new URL(serve.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: route,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

describe('autograder serve: the students API over HTTP on loopback', () => {
  it('prints "Listening on" first and answers health without a token', async () => {
    // Act
    const response = await api('/api/health');
    // Assess
    expect(serve.stdout().split('\n')[0]).toMatch(/^Listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ ok: true });
  });

  it('answers 401 with one message for missing, malformed, unknown and revoked tokens', async () => {
    // Act
    const responses = await Promise.all([
      api('/api/submissions'),
      api('/api/submissions', { headers: { authorization: 'Bearer not-a-token' } }),
      api('/api/submissions', { token: `agt_${'A'.repeat(43)}` }),
      api('/api/submissions', { token: tokens.carol }),
      api('/api/submissions', { token: tokens.carol, body: tiny }),
    ]);
    // Assess
    const bodies = await Promise.all(responses.map((r) => json(r)));
    expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(responses[0]?.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses a body over the size cap with 413, declared or streamed, and counts nothing', async () => {
    // Prepare
    const cap = DEFAULT_RUBRIC.limits.max_file_bytes;
    const big = new Uint8Array(cap + 1).fill(32);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i += 1) controller.enqueue(new Uint8Array(cap / 2).fill(32));
        controller.close();
      },
    });
    // Act
    const declared = await api('/api/submissions', { token: tokens.alice, body: big });
    const streamed = await fetch(`${serve.url}/api/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const list = await json(await api('/api/submissions', { token: tokens.alice }));
    // Assess
    expect(declared.status).toBe(413);
    expect(streamed.status).toBe(413);
    expect(await json(streamed)).toMatchObject({ error: expect.stringContaining(String(cap)) });
    expect(list.quota.used).toBe(0);
  });

  it('answers an invalid file with 400 and every error at its path, not counted', async () => {
    // Prepare
    const broken = await readFile(path.join(EXAMPLES, 'broken', 'wrong-in-features.json'));
    // Act
    const invalid = await api('/api/submissions', { token: tokens.alice, body: broken });
    const notJson = await api('/api/submissions', { token: tokens.alice, body: '{"assignment": ' });
    const hostile = await api('/api/submissions', {
      token: tokens.alice,
      body: '['.repeat(100_000),
    });
    const list = await json(await api('/api/submissions', { token: tokens.alice }));
    // Assess
    expect(invalid.status).toBe(400);
    const body = await json(invalid);
    expect(body.valid).toBe(false);
    expect(body.errors[0]).toMatchObject({
      path: expect.stringMatching(/^\/experiments\/0\/layers\/\d+$/),
    });
    expect(notJson.status).toBe(400);
    expect(hostile.status).toBe(400);
    expect(list.quota).toMatchObject({ limit: QUOTA, used: 0, remaining: QUOTA });
    expect(list.submissions).toEqual([]);
  });

  it('takes a valid file, then shows it queued, running and graded with its result', async () => {
    // Act
    const created = await api('/api/submissions', { token: tokens.alice, body: tiny });
    const body = await json(created);
    const { statuses, last } = await follow(tokens.alice as string, body.id);
    const list = await json(await api('/api/submissions', { token: tokens.alice }));
    // Assess
    expect(created.status).toBe(201);
    expect(body).toMatchObject({
      status: 'queued',
      quota: { limit: QUOTA, used: 1, remaining: 2 },
    });
    // tiny.json has one Conv2d and one experiment: both cost points, and the answer says so.
    expect(body.warnings.map((w: { path: string }) => w.path)).toEqual([
      '/experiments/0/layers',
      '/experiments',
    ]);
    const order = ['queued', 'running', 'graded'];
    expect(statuses.map((s) => order.indexOf(s))).toEqual(
      [...statuses.map((s) => order.indexOf(s))].sort(),
    );
    expect(statuses.at(-1)).toBe('graded');
    expect(last).toMatchObject({ id: body.id, submitted_at: expect.any(String) });
    const result = last.result as ResultFile;
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data.experiments[0]?.epochs).toHaveLength(DEFAULT_RUBRIC.training.epochs);
    expect(list.submissions[0]).toMatchObject({
      id: body.id,
      status: 'graded',
      score: result.score,
      max_score: 8,
    });
  });

  it("lists newest first, and hides one student's submissions from another (404, as for no id)", async () => {
    // Prepare
    const second = await json(await api('/api/submissions', { token: tokens.alice, body: tiny }));
    const own = await json(await api('/api/submissions', { token: tokens.alice }));
    // Act
    const other = await api(`/api/submissions/${second.id}`, { token: tokens.bob });
    const none = await api('/api/submissions/20261201T000000000Z-aaaaaaaa', { token: tokens.bob });
    const bobs = await json(await api('/api/submissions', { token: tokens.bob }));
    // Assess
    expect(own.submissions.map((s: { id: string }) => s.id)[0]).toBe(second.id);
    expect(own.submissions).toHaveLength(2);
    expect(other.status).toBe(404);
    expect(await json(other)).toEqual(await json(none));
    expect(none.status).toBe(404);
    expect(bobs.submissions).toEqual([]);
    await follow(tokens.alice as string, second.id);
  });

  it.each([
    '/api/submissions/..%2F..%2Fstudents%2Falice',
    '/api/submissions/%2e%2e',
    '/api/submissions/../../students/students/alice.json',
    '/api/submissions/x%5C..%5Cy',
    '/api/submissions/%E0%A4%A',
  ])('answers 404 to the path trick %s', async (route) => {
    // Act
    const status = await rawGet(route, tokens.alice as string);
    // Assess
    expect(status).toBe(404);
  });

  it('gives the last quota slots to exactly as many concurrent requests, 429 with Retry-After to the rest, others unaffected', async () => {
    // Act
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => api('/api/submissions', { token: tokens.dave, body: tiny })),
    );
    const bob = await api('/api/submissions', { token: tokens.bob, body: tiny });
    // Assess
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429]);
    const refused = responses.find((r) => r.status === 429);
    const retry = Number(refused?.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(24 * 3600 - 120);
    expect(retry).toBeLessThanOrEqual(24 * 3600);
    expect(await json(refused)).toMatchObject({
      retry_after: retry,
      error: expect.stringContaining('3 submissions'),
    });
    expect(bob.status).toBe(201);
    const list = await json(await api('/api/submissions', { token: tokens.dave }));
    expect(list.quota).toMatchObject({ limit: QUOTA, used: QUOTA, remaining: 0 });
    expect(list.submissions).toHaveLength(QUOTA);
  });
});
