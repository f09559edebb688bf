import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClaimRequest,
  createDynamoDbStateStore,
  createFileSystemStateStore,
  InvalidTransitionError,
  type SubmissionStateStore,
  TransitionConflictError,
} from '../../src/state/index.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite.js';

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-12-02T08:00:00Z')) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

type Clock = ReturnType<typeof manualClock>;

let dynamo: TestDynamo;
let dir: string;
beforeAll(async () => {
  dynamo = await startTestDynamo();
  dir = await mkdtemp(path.join(tmpdir(), 'state-store-'));
});
afterAll(async () => {
  await dynamo.close();
  await rm(dir, { recursive: true, force: true });
});

let folders = 0;
const adapters: [string, (clock: Clock) => Promise<SubmissionStateStore>][] = [
  [
    'files on disk',
    async (clock) => createFileSystemStateStore(path.join(dir, `s${++folders}`), clock),
  ],
  [
    'DynamoDB (dynalite on loopback)',
    async (clock) =>
      createDynamoDbStateStore({
        tableName: await dynamo.newTable(),
        client: dynamo.client,
        now: clock.now,
      }),
  ],
];

const LEASE_MS = 60_000;
const claimBy = (owner: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  student: 'alice',
  id: 'tiny-0123456789ab',
  object: { bucket: 'subs', key: 'submissions/alice/tiny.json', upload: 'version:v1' },
  owner,
  lease_ms: LEASE_MS,
  ...overrides,
});

describe.each(adapters)('state store: %s', (_name, open) => {
  it('claims a new upload once: a live lease turns other claimers away', async () => {
    // Prepare
    const clock = manualClock();
    const store = await open(clock);
    // Act
    const first = await store.claim(claimBy('lambda-1'));
    const second = await store.claim(claimBy('lambda-2'));
    // Assess
    expect(first).toMatchObject({ claimed: true, takeover: false });
    expect(first.record).toMatchObject({
      status: 'claiming',
      result_key: 'results/alice/tiny-0123456789ab.json',
      intake_attempts: 1,
      lease: { owner: 'lambda-1' },
    });
    expect(second).toMatchObject({ claimed: false, why: 'held' });
  });

  it('lets a retry take over a claim whose holder died (lease past its expiry)', async () => {
    // Prepare
    const clock = manualClock();
    const store = await open(clock);
    await store.claim(claimBy('killed-lambda'));
    clock.advance(LEASE_MS + 1);
    // Act
    const retry = await store.claim(claimBy('retry-lambda'));
    // Assess
    expect(retry).toMatchObject({ claimed: true, takeover: true });
    expect(retry.record.intake_attempts).toBe(2);
    // The dead holder can no longer move the record on.
    await expect(
      store.transition('alice', 'tiny-0123456789ab', {
        from: ['claiming'],
        to: 'queued',
        owner: 'killed-lambda',
      }),
    ).rejects.toBeInstanceOf(TransitionConflictError);
  });

  it('after a released lease, the next claim takes the record at once', async () => {
    // Prepare
    const clock = manualClock();
    const store = await open(clock);
    await store.claim(claimBy('lambda-1'));
    // Act
    await store.releaseLease('alice', 'tiny-0123456789ab', 'lambda-1');
    const retry = await store.claim(claimBy('lambda-2'));
    // Assess
    expect(retry).toMatchObject({ claimed: true });
  });

  it('grants exactly one of many concurrent claims', async () => {
    // Prepare
    const store = await open(manualClock());
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.claim(claimBy(`lambda-${i}`))),
    );
    // Assess
    expect(outcomes.filter((outcome) => outcome.claimed)).toHaveLength(1);
  });

  it('moves status forward only, by the lease holder, and says why it refuses', async () => {
    // Prepare
    const store = await open(manualClock());
    await store.claim(claimBy('lambda-1'));
    // Act
    const stranger = await store
      .transition('alice', 'tiny-0123456789ab', {
        from: ['claiming'],
        to: 'queued',
        owner: 'lambda-2',
      })
      .catch((error: unknown) => error);
    const queued = await store.transition('alice', 'tiny-0123456789ab', {
      from: ['claiming'],
      to: 'queued',
      owner: 'lambda-1',
      set: { job_name: 'grade-x', job_id: 'job-1' },
    });
    const backwards = await store
      .transition('alice', 'tiny-0123456789ab', { from: ['running'], to: 'queued' })
      .catch((error: unknown) => error);
    const conflict = await store
      .transition('alice', 'tiny-0123456789ab', { from: ['running'], to: 'graded' })
      .catch((error: unknown) => error);
    // Assess
    expect(stranger).toBeInstanceOf(TransitionConflictError);
    expect(queued).toMatchObject({ status: 'queued', job_id: 'job-1' });
    expect(queued.lease).toBeUndefined();
    expect(backwards).toBeInstanceOf(InvalidTransitionError);
    expect(conflict).toBeInstanceOf(TransitionConflictError);
    expect((conflict as TransitionConflictError).current.status).toBe('queued');
  });

  it('lets exactly one of racing final writes win', async () => {
    // Prepare
    const store = await open(manualClock());
    await store.claim(claimBy('lambda-1'));
    await store.transition('alice', 'tiny-0123456789ab', {
      from: ['claiming'],
      to: 'queued',
      owner: 'lambda-1',
    });
    // Act
    const settled = await Promise.allSettled([
      store.transition('alice', 'tiny-0123456789ab', {
        from: ['queued', 'running'],
        to: 'graded',
        set: { score: 7, max_score: 8 },
      }),
      store.transition('alice', 'tiny-0123456789ab', {
        from: ['queued', 'running'],
        to: 'failed',
        set: { failure: { reason: 'crash', message: 'x' } },
      }),
      store.transition('alice', 'tiny-0123456789ab', { from: ['queued'], to: 'running' }),
    ]);
    // Assess
    const final = await store.get('alice', 'tiny-0123456789ab');
    expect(final?.status === 'graded' || final?.status === 'failed').toBe(true);
    const winners = settled.filter(
      (s) =>
        s.status === 'fulfilled' && (s.value.status === 'graded' || s.value.status === 'failed'),
    );
    expect(winners).toHaveLength(1);
  });

  it('binds a registered (API-chosen) id to its upload, and refuses a different upload', async () => {
    // Prepare
    const store = await open(manualClock());
    const id = '20261202T080000000Z-abcdefgh';
    const key = `submissions/alice/${id}.json`;
    const registered = await store.register({
      student: 'alice',
      id,
      object: { bucket: 'subs', key },
    });
    // Act
    const again = await store.register({ student: 'alice', id, object: { bucket: 'subs', key } });
    const claimed = await store.claim(
      claimBy('lambda-1', { id, object: { bucket: 'subs', key, upload: 'version:v1' } }),
    );
    const other = await store.claim(
      claimBy('lambda-2', { id, object: { bucket: 'subs', key, upload: 'version:v2' } }),
    );
    // Assess
    expect(registered).toMatchObject({ created: true, record: { status: 'received' } });
    expect(again.created).toBe(false);
    expect(claimed).toMatchObject({ claimed: true, record: { object: { upload: 'version:v1' } } });
    expect(other).toMatchObject({ claimed: false, why: 'other-upload' });
  });

  it('says "settled" to a claim of an upload that is past intake', async () => {
    // Prepare
    const store = await open(manualClock());
    await store.claim(claimBy('lambda-1'));
    await store.transition('alice', 'tiny-0123456789ab', {
      from: ['claiming'],
      to: 'rejected',
      owner: 'lambda-1',
    });
    // Act
    const redelivered = await store.claim(claimBy('lambda-2'));
    // Assess
    expect(redelivered).toMatchObject({ claimed: false, why: 'settled' });
  });

  it("lists a student's records newest first, and the unfinished ones for the sweeper", async () => {
    // Prepare
    const clock = manualClock();
    const store = await open(clock);
    for (const [student, id] of [
      ['alice', 'a-000000000001'],
      ['bob', 'b-000000000001'],
      ['alice', 'a-000000000002'],
    ] as const) {
      await store.register({ student, id, object: { bucket: 'subs', key: `k/${id}` } });
      clock.advance(1000);
    }
    await store.claim(
      claimBy('lambda', {
        id: 'a-000000000001',
        object: { bucket: 'subs', key: 'k/a-000000000001', upload: 'key' },
      }),
    );
    await store.transition('alice', 'a-000000000001', {
      from: ['claiming'],
      to: 'rejected',
      owner: 'lambda',
    });
    // Act
    const alice = await store.listByStudent('alice');
    const unfinished = await store.listUnfinished();
    const missing = await store.get('carol', 'x-1');
    // Assess
    expect(alice.map((r) => r.id)).toEqual(['a-000000000002', 'a-000000000001']);
    expect(unfinished.map((r) => r.id).sort()).toEqual(['a-000000000002', 'b-000000000001']);
    expect(missing).toBeUndefined();
  });
});

/** Every file and folder below `root` with its permission bits. */
async function modesBelow(root: string): Promise<Map<string, number>> {
  const modes = new Map<string, number>();
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    modes.set(path.relative(root, full), (await stat(full)).mode & 0o777);
  }
  return modes;
}

describe('files on disk are private to the user running the service', () => {
  it('writes records 0600 in folders 0700', async () => {
    // Prepare
    const root = path.join(dir, 'modes');
    const store = createFileSystemStateStore(root);
    // Act
    await store.claim(claimBy('lambda-1'));
    const modes = await modesBelow(root);
    // Assess
    expect(modes.size).toBeGreaterThan(0);
    for (const [name, mode] of modes) {
      const isDir = (await stat(path.join(root, name))).isDirectory();
      expect([name, mode.toString(8)]).toEqual([name, isDir ? '700' : '600']);
    }
  });
});
