import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts', 'derive-tolerances.ts');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const NOISE = path.join(ROOT, 'rubric', 'noise', 'seed-noise.json');

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function run(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TSX, SCRIPT, file], {
      cwd: ROOT,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('scripts/derive-tolerances.ts', () => {
  it('names the network and side without runs, with no stack trace, and exits 1', async () => {
    // Prepare: the stored measurements with one side emptied, as a measurement under way leaves it.
    dir = await mkdtemp(path.join(tmpdir(), 'derive-tolerances-'));
    const measurements = JSON.parse(await readFile(NOISE, 'utf8')) as {
      networks: { student: unknown[] }[];
    };
    const second = measurements.networks[1];
    if (!second) throw new Error('the stored measurements have fewer than two networks');
    second.student = [];
    const file = path.join(dir, 'under-way.json');
    await writeFile(file, JSON.stringify(measurements));
    // Act
    const answer = await run(file);
    // Assess
    expect(answer.code).toBe(1);
    expect(answer.stderr).toContain('under-way.json: /networks/1/student: has no runs');
    expect(answer.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
