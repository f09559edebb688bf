import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import { DEFAULT_RUBRIC, type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import {
  buildReport,
  DirectoryJsonSource,
  latestSubmissions,
  loadResults,
  regradeResultKey,
} from '../../src/staff/index.js';
import { FULL_DATASET } from '../fixtures/grade/check-inputs.js';
import { captureIo } from '../helpers/io.js';
import { gradedResult, writeResultAt } from '../helpers/results.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url));
const BROKEN = fileURLToPath(
  new URL('../../rubric/examples/broken/missing-flatten.json', import.meta.url),
);
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute));

describe('choosing what to regrade', () => {
  it("takes each student's latest upload and says which names asked for have none", () => {
    // Prepare
    const listings = [
      { key: 'alice/old.json', modifiedAt: at(1) },
      { key: 'alice/new.json', modifiedAt: at(9) },
      { key: 'bob/only.json', modifiedAt: at(2) },
      { key: 'loose.json', modifiedAt: at(3) },
    ];
    // Act
    const everyone = latestSubmissions(listings);
    const some = latestSubmissions(listings, ['bob', 'zed']);
    // Assess
    expect(everyone.targets.map((t) => t.key)).toEqual(['alice/new.json', 'bob/only.json']);
    expect(everyone.missing).toEqual([]);
    expect(some.targets.map((t) => t.key)).toEqual(['bob/only.json']);
    expect(some.missing).toEqual(['zed']);
  });

  it('names each regrade result anew instead of overwriting one', async () => {
    // Prepare
    const taken = new Set(['alice/new.regrade-20261201T091500Z.json']);
    // Act
    const key = await regradeResultKey(
      'alice/new.json',
      new Date('2026-12-01T09:15:00.123Z'),
      async (k) => taken.has(k),
    );
    // Assess
    expect(key).toBe('alice/new.regrade-20261201T091500Z-2.json');
  });
});

describe('autograder regrade DIR', () => {
  let root: string;
  let dataDir: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'autograder-regrade-'));
    dataDir = path.join(root, 'cifar');
    await writeCifar10Dir(dataDir, syntheticCifar10({ train: 256, test: 128, seed: 5 }));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function course(name: string): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(path.join(dir, 'submissions', 'alice'), { recursive: true });
    await mkdir(path.join(dir, 'submissions', 'bob'), { recursive: true });
    await copyFile(BROKEN, path.join(dir, 'submissions', 'alice', 'old.json'));
    await utimes(path.join(dir, 'submissions', 'alice', 'old.json'), at(1), at(1));
    await copyFile(FIXTURE, path.join(dir, 'submissions', 'alice', 'new.json'));
    await utimes(path.join(dir, 'submissions', 'alice', 'new.json'), at(5), at(5));
    await copyFile(BROKEN, path.join(dir, 'submissions', 'bob', 'b.json'));
    // alice's earlier result, from an older rubric, on the same generated data as the regrade
    // (both trials, so the report's choice between them is by time alone).
    await writeResultAt(
      path.join(dir, 'results'),
      'alice/new.json',
      gradedResult({
        rubric: { ...DEFAULT_RUBRIC, version: '0.9.0' },
        dataset: { ...FULL_DATASET, train_images: 256, test_images: 128 },
      }),
      at(6),
    );
    return dir;
  }

  it("writes new result files for each student's latest submission and keeps the old ones", async () => {
    // Prepare
    const dir = await course('everyone');
    const before = await readFile(path.join(dir, 'results', 'alice', 'new.json'), 'utf8');
    const io = captureIo({ cwd: dir, env: { AUTOGRADER_CACHE_DIR: path.join(root, 'cache') } });
    // Act
    const code = await main(['regrade', '.', '--data', dataDir, '--backend', 'wasm'], io);
    // Assess
    expect(io.err()).toBe('');
    expect(code).toBe(1); // bob's latest is invalid: rejected again
    expect(await readFile(path.join(dir, 'results', 'alice', 'new.json'), 'utf8')).toBe(before);
    const aliceFiles = (await readdir(path.join(dir, 'results', 'alice'))).sort();
    expect(aliceFiles).toEqual([
      'new.json',
      expect.stringMatching(/^new\.regrade-\d{8}T\d{6}Z\.json$/),
    ]);
    const regraded: ResultFile = JSON.parse(
      await readFile(path.join(dir, 'results', 'alice', aliceFiles[1] ?? ''), 'utf8'),
    );
    expect(resultSchemaErrors(regraded)).toEqual([]);
    expect(regraded.extra_data).toMatchObject({
      outcome: 'graded',
      rubric: { version: DEFAULT_RUBRIC.version },
      submission: { source: 'submissions/alice/new.json' },
    });
    expect(await readdir(path.join(dir, 'results', 'bob'))).toEqual([
      expect.stringMatching(/^b\.regrade-.*\.json$/),
    ]);
    expect(io.out()).toMatch(/alice\s+[\d.]+ \/ 8\s+graded\s+was [\d.]+ \(rubric 0\.9\.0\)/);
    const loaded = await loadResults(new DirectoryJsonSource(path.join(dir, 'results')));
    const rows = buildReport(loaded.results).rows;
    expect(rows.find((r) => r.student === 'alice')).toMatchObject({
      rubricVersion: DEFAULT_RUBRIC.version,
      total: regraded.score,
      results: 2,
    });
  });

  it('takes --workers as grade does, training on that many worker threads', async () => {
    // Prepare
    const dir = await course('workers');
    const io = captureIo({ cwd: dir, env: { AUTOGRADER_CACHE_DIR: path.join(root, 'cache') } });
    // Act
    const code = await main(
      [
        'regrade',
        '.',
        '--students',
        'alice',
        '--data',
        dataDir,
        '--backend',
        'wasm',
        '--workers',
        '2',
      ],
      io,
    );
    // Assess
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const files = await readdir(path.join(dir, 'results', 'alice'));
    expect(files).toHaveLength(2);
    expect(io.out()).toMatch(/alice\s+[\d.]+ \/ 8\s+graded/);
  });

  it('regrades only the students asked for, and refuses a name without submissions', async () => {
    // Prepare
    const dir = await course('some');
    const io = captureIo({ cwd: dir, env: { AUTOGRADER_CACHE_DIR: path.join(root, 'cache') } });
    const unknown = captureIo({ cwd: dir });
    // Act
    const code = await main(['regrade', '.', '--students', 'bob', '--data', dataDir], io);
    const unknownCode = await main(
      ['regrade', '.', '--students', 'bob,zed', '--data', dataDir],
      unknown,
    );
    // Assess
    expect(code).toBe(1);
    expect(await readdir(path.join(dir, 'results', 'alice'))).toEqual(['new.json']);
    expect(await readdir(path.join(dir, 'results', 'bob'))).toHaveLength(1);
    expect(unknownCode).toBe(2);
    expect(unknown.err()).toContain('no submissions for: zed');
  });
});
