import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../cdk/settings.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe('the CDK app as cdk.json runs it', () => {
  it("takes cdk.json's committed context as valid settings", async () => {
    // Prepare
    const cdkJson = JSON.parse(await readFile(path.join(REPO, 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    };
    // Act
    const read = () => readSettings({ tryGetContext: (key: string) => cdkJson.context[key] });
    // Assess
    expect(read).not.toThrow();
  });

  it('answers a setting out of range with one line naming key, value and range, no stack trace', async () => {
    // Prepare
    const out = await mkdtemp(path.join(tmpdir(), 'cdk-app-'));
    // Act
    const answer = await run(
      'npx',
      ['cdk', 'synth', '-q', '--output', out, '-c', 'autograder:maxVcpus=abc'],
      { cwd: REPO, timeout: 120_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    await rm(out, { recursive: true, force: true });
    // Assess
    expect(answer.code).not.toBe(0);
    expect(answer.stderr).toContain(
      'Cifar10Autograder: context autograder:maxVcpus is "abc"; expected an integer from 1 to 10000 (cdk.json "context", or -c)',
    );
    expect(answer.stderr).not.toMatch(STACK_FRAME);
  });
});
