import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import { type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import { startLocalService } from '../../src/service/local-service.js';
import { createFileSystemStateStore, uploadIdentity } from '../../src/state/index.js';
import { FileSystemObjectStore, type ObjectStore, StorageError } from '../../src/storage/index.js';
import { fakeTrainer } from '../fixtures/grade/fake-trainer.js';
import { addStudent } from '../helpers/students.js';

const TINY = fileURLToPath(new URL('../../rubric/examples/tiny.json', import.meta.url));
const BACKEND = {
  name: 'cpu' as const,
  version: '4.22.0',
  detail: 'cpu (test double)',
  device: 'cpu',
  threads: 1,
};

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-serve-faults-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The state's file store, with a disk that fills up on demand for results. */
function fillingStore(dir: string): ObjectStore & { full: boolean } {
  const inner = new FileSystemObjectStore(dir);
  const store = Object.create(inner) as ObjectStore & { full: boolean };
  store.full = false;
  store.put = async (key, body, options) => {
    if (store.full && key.startsWith('results/')) {
      throw new StorageError(`cannot write ${key}: ENOSPC: no space left on device, write`);
    }
    return inner.put(key, body, options);
  };
  return store;
}

describe('serve on a disk that fills up, and after a crash mid-claim', () => {
  it('ends a job whose result could not be written with one failure result once space frees, saying why', async () => {
    // Prepare
    const state = path.join(root, 'state');
    const token = await addStudent(state);
    const files = fillingStore(path.join(state, 'files'));
    const service = await startLocalService({
      stateDir: state,
      port: 0,
      loadData: async () => syntheticCifar10({ train: 64, test: 32, seed: 2 }),
      selectBackend: async () => BACKEND,
      train: fakeTrainer(),
      files,
      sweepEveryMs: 3_600_000,
    });
    const auth = { authorization: `Bearer ${token}` };
    const statusOf = async (id: string) =>
      (await (await fetch(`${service.url}/api/submissions/${id}`, { headers: auth })).json()) as {
        status: string;
        result: ResultFile | null;
      };
    try {
      // Act: the disk fills as the job starts, and frees before the next sweep.
      files.full = true;
      const posted = await fetch(`${service.url}/api/submissions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: await readFile(TINY),
      });
      const { id } = (await posted.json()) as { id: string };
      await service.idle();
      const whileFull = await statusOf(id);
      files.full = false;
      await service.sweep();
      const after = await statusOf(id);
      const results = await readdir(path.join(state, 'files', 'results', 'alice'));
      // Assess
      expect(posted.status).toBe(201);
      expect(whileFull.result).toBeNull();
      expect(after.status).toBe('failed');
      expect(after.result && resultSchemaErrors(after.result)).toEqual([]);
      expect(after.result?.extra_data.failure?.message).toContain(
        'ENOSPC: no space left on device',
      );
      expect(results).toEqual([`${id}.json`]);
    } finally {
      await service.close();
    }
  });

  it("grades an upload whose intake died mid-claim, once the dead claimer's lease has expired", async () => {
    // Prepare: what a serve killed between claiming an upload and queueing its job leaves behind.
    const state = path.join(root, 'mid-claim');
    await addStudent(state);
    const id = '20261208T010203004Z-deadbeef';
    const key = `submissions/alice/${id}.json`;
    const files = new FileSystemObjectStore(path.join(state, 'files'));
    await files.put(key, await readFile(TINY));
    const records = createFileSystemStateStore(path.join(state, 'records'));
    const claimed = await records.claim({
      student: 'alice',
      id,
      object: {
        bucket: 'local-submissions',
        key,
        upload: uploadIdentity({ key }),
      },
      owner: 'serve-that-died',
      lease_ms: 1,
    });
    await new Promise((r) => setTimeout(r, 20));
    // Act
    const service = await startLocalService({
      stateDir: state,
      port: 0,
      loadData: async () => syntheticCifar10({ train: 64, test: 32, seed: 2 }),
      selectBackend: async () => BACKEND,
      train: fakeTrainer(),
      sweepEveryMs: 3_600_000,
    });
    try {
      await service.idle();
      const record = (await records.get('alice', id)) ?? null;
      const results = await readdir(path.join(state, 'files', 'results', 'alice'));
      // Assess
      expect(claimed.claimed).toBe(true);
      expect(record?.status).toBe('graded');
      expect(results).toEqual([`${id}.json`]);
    } finally {
      await service.close();
    }
  });
});
