import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockStateDir } from '../../src/service/state-lock.js';
import { FileSystemStudentsStore } from '../../src/students/index.js';
import { startServe } from '../helpers/serve-process.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-state-lock-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('one serve per state directory', () => {
  it('refuses a second serve on the same state, naming the one that holds it', async () => {
    // Prepare
    const state = path.join(root, 'shared');
    const first = await startServe(['--port', '0', '--state', state]);
    // Act
    const second = await startServe(['--port', '0', '--state', state]).then(
      async (served) => {
        await served.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    const holder = JSON.parse(await readFile(path.join(state, 'serve.lock'), 'utf8')) as {
      pid: number;
    };
    await first.stop();
    const third = await startServe(['--port', '0', '--state', state]);
    await third.stop();
    // Assess
    expect(second).toContain(
      `the state directory ${state} is in use by another "autograder serve" (pid ${holder.pid}, since `,
    );
    expect(second).not.toMatch(/^\s+at /m);
    expect(third.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 120_000);

  it('takes over a lock whose process is gone (a crash, kill -9)', async () => {
    // Prepare: a pid far above any live one.
    const state = path.join(root, 'stale');
    const gone = { pid: 2 ** 22 + 12_345, host: hostname(), started_at: '2026-12-01T00:00:00Z' };
    await lockStateDir(state, gone);
    // Act
    const lock = await lockStateDir(state);
    const holder = JSON.parse(await readFile(path.join(state, 'serve.lock'), 'utf8'));
    await lock.release();
    // Assess
    expect(holder.pid).toBe(process.pid);
  });

  it('refuses a lock held from another machine, saying how to clear it', async () => {
    // Prepare
    const state = path.join(root, 'remote');
    await lockStateDir(state, { pid: 1, host: 'grader-2', started_at: '2026-12-01T00:00:00Z' });
    // Act
    const taking = lockStateDir(state);
    // Assess
    await expect(taking).rejects.toThrow(
      `in use by "autograder serve" on grader-2 (pid 1, since 2026-12-01T00:00:00Z); if that machine no longer serves it, delete ${path.join(state, 'serve.lock')}`,
    );
  });
});

describe('quota slots across processes', () => {
  it('never loses a slot when two stores on one folder take them at once', async () => {
    // Prepare: two stores, as two processes have, each with its own in-process queue.
    const dir = path.join(root, 'quota');
    const a = new FileSystemStudentsStore(dir);
    const b = new FileSystemStudentsStore(dir);
    const day = 24 * 60 * 60 * 1000;
    // Act
    const decisions = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).take('alice', 1_000, 3, day)),
    );
    const slots = await a.slots('alice', 2_000, day);
    // Assess
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
    expect(slots).toHaveLength(3);
  });
});
