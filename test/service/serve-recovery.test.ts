import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import { type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import { startServe } from '../helpers/serve-process.js';
import { addStudent } from '../helpers/students.js';

const TINY = fileURLToPath(new URL('../../rubric/examples/tiny.json', import.meta.url));
const CONVNET = fileURLToPath(new URL('../../rubric/examples/convnet.json', import.meta.url));

let root: string;
let data: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-serve-recovery-'));
  data = path.join(root, 'cifar');
  await writeCifar10Dir(data, syntheticCifar10({ train: 600, test: 200, seed: 4 }));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Answer {
  status: string;
  result: ResultFile | null;
}

async function until(what: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('serve finishes what a crash interrupted', () => {
  it('after kill -9 mid-training, a restart on the same state grades every accepted upload, one result each', async () => {
    // Prepare: one submission training, one waiting behind it.
    const state = path.join(root, 'state');
    const token = await addStudent(state);
    const auth = { authorization: `Bearer ${token}` };
    const args = ['--port', '0', '--state', state, '--data', data, '--backend', 'wasm'];
    const first = await startServe(args);
    const post = async (url: string, file: string) => {
      const answer = await fetch(`${url}/api/submissions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: await readFile(file),
      });
      expect(answer.status).toBe(201);
      return ((await answer.json()) as { id: string }).id;
    };
    const training = await post(first.url, CONVNET);
    const waiting = await post(first.url, TINY);
    const statusOf = async (url: string, id: string) =>
      (await (await fetch(`${url}/api/submissions/${id}`, { headers: auth })).json()) as Answer;
    await until(async () => (await statusOf(first.url, training)).status === 'running', 60_000);
    // Act
    await first.kill();
    const second = await startServe(args);
    try {
      await until(async () => {
        const answers = await Promise.all(
          [training, waiting].map((id) => statusOf(second.url, id)),
        );
        return answers.every((a) => a.status === 'graded' || a.status === 'failed');
      }, 240_000);
      const answers = await Promise.all([training, waiting].map((id) => statusOf(second.url, id)));
      const results = await readdir(path.join(state, 'files', 'results', 'alice'));
      // Assess
      expect(answers.map((a) => a.status)).toEqual(['graded', 'graded']);
      for (const answer of answers) expect(resultSchemaErrors(answer.result)).toEqual([]);
      expect(results.sort()).toEqual([`${training}.json`, `${waiting}.json`].sort());
      expect(second.stdout()).toMatch(
        new RegExp(`swept alice/${training} \\(was (queued|running)\\): resubmitted`),
      );
      expect(second.stdout().split('\n')[0]).toMatch(/^Listening on http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await second.stop();
    }
  }, 300_000);
});
