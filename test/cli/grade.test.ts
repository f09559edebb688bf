import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import { DEFAULT_RUBRIC, type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import { captureIo } from '../helpers/io.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url));

let root: string;
let dataDir: string;
let cacheDir: string;

/** A fresh directory holding a copy of the fixture submission, so results land in it. */
async function workspace(name: string): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await copyFile(FIXTURE, path.join(dir, 'two.json'));
  return dir;
}

async function readResult(file: string): Promise<ResultFile> {
  return JSON.parse(await readFile(file, 'utf8'));
}

function io(cwd: string) {
  // One experiment at a time unless a test asks for workers: starting them costs seconds.
  return captureIo({ cwd, env: { AUTOGRADER_CACHE_DIR: cacheDir, AUTOGRADER_WORKERS: '1' } });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-grade-cli-'));
  dataDir = path.join(root, 'cifar');
  cacheDir = path.join(root, 'cache');
  await writeCifar10Dir(dataDir, syntheticCifar10({ train: 256, test: 128, seed: 11 }));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('autograder grade', () => {
  it('grades a file, prints a summary and writes NAME.result.json beside it', async () => {
    // Prepare
    const dir = await workspace('single');
    const cli = io(dir);
    // Act
    const code = await main(['grade', 'two.json', '--data', dataDir, '--backend', 'wasm'], cli);
    // Assess
    expect(cli.err()).toBe('');
    expect(code).toBe(0);
    const result = await readResult(path.join(dir, 'two.result.json'));
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data).toMatchObject({
      outcome: 'graded',
      complete: true,
      backend: { name: 'wasm' },
      dataset: { train_images: 256, test_images: 128, slice: null },
      submission: { source: 'two.json' },
    });
    const out = cli.out();
    expect(out).toContain('[1/2] small');
    expect(out).toContain('small: test accuracy');
    expect(out).toMatch(/small \(final\)\s+5,538\s+5,538/);
    expect(out).toContain(`Score: ${result.score} / 8`);
    expect(out).toContain('3.2  1 / 1  Count its parameters');
    expect(out).toContain('Result written to two.result.json');
  });

  it('writes where --out says and records a --limit-* slice', async () => {
    // Prepare
    const dir = await workspace('out');
    const cli = io(dir);
    // Act
    const code = await main(
      [
        'grade',
        'two.json',
        '--out',
        'results/r.json',
        '--data',
        dataDir,
        '--backend',
        'wasm',
        '--limit-train',
        '128',
        '--limit-test',
        '64',
        '--seed',
        '3',
      ],
      cli,
    );
    // Assess
    expect(code).toBe(0);
    const result = await readResult(path.join(dir, 'results', 'r.json'));
    expect(result.extra_data).toMatchObject({
      seed: 3,
      dataset: { train_images: 128, test_images: 64, slice: { limit_train: 128, limit_test: 64 } },
    });
    expect(existsSync(path.join(dir, 'two.result.json'))).toBe(false);
  });

  it('puts the result inside --out when it names an existing directory', async () => {
    // Prepare
    const dir = await workspace('out-dir');
    await mkdir(path.join(dir, 'results'));
    const cli = io(dir);
    // Act
    const code = await main(
      [
        'grade',
        'two.json',
        '--out',
        'results',
        '--data',
        dataDir,
        '--backend',
        'wasm',
        '--limit-train',
        '64',
      ],
      cli,
    );
    // Assess
    expect(code).toBe(0);
    expect(existsSync(path.join(dir, 'results', 'two.result.json'))).toBe(true);
    expect(cli.out()).toContain(`Result written to ${path.join('results', 'two.result.json')}`);
  });

  it('exits 1 for an invalid submission and still writes its result', async () => {
    // Prepare
    const dir = await workspace('invalid');
    await writeFile(
      path.join(dir, 'bad.json'),
      '{"assignment": "cifar10-conv", "experiments": [], "final": "x"}',
    );
    const cli = io(dir);
    // Act
    const code = await main(['grade', 'bad.json', '--data', dataDir, '--backend', 'wasm'], cli);
    // Assess
    expect(code).toBe(1);
    const result = await readResult(path.join(dir, 'bad.result.json'));
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data).toMatchObject({ outcome: 'rejected', gradable: false });
    expect(result.extra_data.errors.length).toBeGreaterThan(0);
    expect(cli.out()).toContain('Rejected: 0 / 8');
    expect(cli.out()).toContain(result.extra_data.errors[0]?.message);
  });

  it('grades every submission of a directory, skipping results, and exits 1 if any is invalid', async () => {
    // Prepare
    const dir = await workspace('batch');
    await writeFile(path.join(dir, 'broken.json'), '{ not json');
    await writeFile(path.join(dir, 'old.result.json'), '{}');
    const cli = io(root);
    // Act
    const code = await main(
      ['grade', 'batch', '--data', dataDir, '--backend', 'wasm', '--limit-train', '64'],
      cli,
    );
    // Assess
    expect(code).toBe(1);
    const broken = await readResult(path.join(dir, 'broken.result.json'));
    const two = await readResult(path.join(dir, 'two.result.json'));
    expect(broken.extra_data.outcome).toBe('rejected');
    expect(two.extra_data.outcome).toBe('graded');
    expect(existsSync(path.join(dir, 'old.result.result.json'))).toBe(false);
    expect(cli.out()).toContain('(1/2) Grading batch/broken.json');
    expect(cli.out()).toMatch(
      /Batch summary:\n\s+broken\.json\s+0 \/ 8\s+rejected\n\s+two\.json\s+[\d.]+ \/ 8\s+graded/,
    );
  });

  it.each([
    { description: 'no arguments', args: [], says: 'expected one submission file or directory' },
    {
      description: 'an unknown option',
      args: ['two.json', '--frobnicate'],
      says: 'unknown option --frobnicate; --help lists the options',
    },
    {
      description: 'a zero limit',
      args: ['two.json', '--limit-train', '0'],
      says: '--limit-train must be an integer of at least 1, got "0"',
    },
    {
      description: 'a fractional seed',
      args: ['two.json', '--seed', '1.5'],
      says: '--seed must be an integer',
    },
    {
      description: 'an unknown backend',
      args: ['two.json', '--backend', 'cuda'],
      says: '--backend must be tensorflow, wasm or cpu, got "cuda"',
    },
    { description: 'a missing file', args: ['missing.json'], says: 'cannot read missing.json' },
  ])('exits 2 with a usage message for $description', async ({ args, says }) => {
    // Prepare
    const dir = await workspace('usage');
    const cli = io(dir);
    // Act
    const code = await main(['grade', ...args], cli);
    // Assess
    expect(code).toBe(2);
    expect(cli.err()).toContain(says);
    expect(cli.err()).toContain('Usage: autograder grade FILE|DIR');
    expect(cli.out()).toBe('');
  });

  it('prints its help with exit 0', async () => {
    // Prepare
    const cli = io(root);
    // Act
    const code = await main(['grade', '--help'], cli);
    // Assess
    expect(code).toBe(0);
    expect(cli.out()).toContain('NAME.result.json');
    expect(cli.out()).toContain('Exit status: 0 graded');
  });
});

describe('autograder grade --workers', () => {
  it('trains the experiments on two workers and writes what one worker writes, timings aside', async () => {
    // Prepare
    const dir = await workspace('workers');
    const flags = ['--data', dataDir, '--backend', 'wasm', '--limit-train', '64'];
    const untimed = (result: ResultFile): unknown =>
      JSON.parse(JSON.stringify(result), (key, value) =>
        ['execution_time', 'seconds', 'images_per_second'].includes(key) ? 0 : value,
      );
    // Act
    const one = await main(['grade', 'two.json', '--out', 'one.json', ...flags], io(dir));
    const cli = io(dir);
    const two = await main(
      ['grade', 'two.json', '--out', 'two-workers.json', '--workers', '2', ...flags],
      cli,
    );
    // Assess
    expect([one, two]).toEqual([0, 0]);
    expect(cli.err()).toBe('');
    expect(untimed(await readResult(path.join(dir, 'two-workers.json')))).toEqual(
      untimed(await readResult(path.join(dir, 'one.json'))),
    );
  });
});

describe('autograder calibrate', () => {
  it('stores the baseline for the backend and data, and grade then compares with it', async () => {
    // Prepare
    const dir = await workspace('calibrated');
    const calibrateIo = io(dir);
    const gradeIo = io(dir);
    const flags = ['--data', dataDir, '--backend', 'wasm', '--limit-train', '128'];
    // Act
    const calibrated = await main(['calibrate', ...flags], calibrateIo);
    const graded = await main(['grade', 'two.json', ...flags], gradeIo);
    // Assess
    expect(calibrateIo.err()).toBe('');
    expect(calibrated).toBe(0);
    expect(calibrateIo.out()).toMatch(/MLP baseline: \d+\.\d\d% on wasm/);
    expect(calibrateIo.out()).toContain('Stored in ');
    expect(graded).toBe(0);
    const result = await readResult(path.join(dir, 'two.result.json'));
    expect(result.extra_data.baseline).toMatchObject({ source: 'calibration' });
    expect(result.extra_data.baseline?.calibration_key).toBe(
      `cifar10-conv@${DEFAULT_RUBRIC.version}/wasm/${result.extra_data.dataset?.checksum}`,
    );
    expect(gradeIo.out()).toContain('baseline: calibrated');
  });

  it('does not reuse a calibration for other data (a different slice)', async () => {
    // Prepare
    const dir = await workspace('other-slice');
    const cli = io(dir);
    // Act
    const code = await main(
      ['grade', 'two.json', '--data', dataDir, '--backend', 'wasm', '--limit-train', '96'],
      cli,
    );
    // Assess
    expect(code).toBe(0);
    const result = await readResult(path.join(dir, 'two.result.json'));
    expect(result.extra_data.baseline).toMatchObject({ source: 'reference', accuracy: 42.17 });
  });
});
