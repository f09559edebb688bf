import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'autograder-students-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tokensIn = (out: string) =>
  Object.fromEntries(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t')),
  );

describe('autograder students import', () => {
  it('issues tokens to a roster, then on a second import only to the students who enrolled since', async () => {
    // Prepare
    const state = path.join(dir, 'state');
    await writeFile(path.join(dir, 'roster.csv'), 'student\nalice\nbob\ncarol\n');
    await writeFile(path.join(dir, 'roster-later.csv'), 'student\nalice\nbob\ncarol\ndave\n');
    const first = captureIo({ cwd: dir });
    const revoke = captureIo({ cwd: dir });
    const second = captureIo({ cwd: dir });
    const third = captureIo({ cwd: dir });
    // Act
    const firstCode = await main(['students', 'import', 'roster.csv', '--state', state], first);
    const revokeCode = await main(['students', 'revoke', 'carol', '--state', state], revoke);
    const secondCode = await main(
      ['students', 'import', 'roster-later.csv', '--state', state],
      second,
    );
    const thirdCode = await main(
      ['students', 'import', 'roster-later.csv', '--state', state],
      third,
    );
    // Assess
    expect(firstCode).toBe(0);
    expect(Object.keys(tokensIn(first.out()))).toEqual(['alice', 'bob', 'carol']);
    expect(revokeCode).toBe(0);
    expect(secondCode, second.err()).toBe(0);
    expect(Object.keys(tokensIn(second.out()))).toEqual(['dave']);
    expect(second.err()).toContain('Already hold tokens (kept): alice, bob.');
    expect(second.err()).toContain('Revoked, left so: carol.');
    expect(thirdCode).toBe(0);
    expect(third.out()).toBe('');
    expect(third.err()).toContain('No new students in the roster');
    // Token hashes and quota slots: only the user running the service may read them.
    for (const entry of await readdir(state, { withFileTypes: true, recursive: true })) {
      const full = path.join(entry.parentPath, entry.name);
      expect([entry.name, ((await stat(full)).mode & 0o777).toString(8)]).toEqual([
        entry.name,
        entry.isDirectory() ? '700' : '600',
      ]);
    }
  });

  it('still refuses to add a student who holds a token, with exit 1', async () => {
    // Prepare
    const state = path.join(dir, 'add-state');
    const first = captureIo({ cwd: dir });
    const again = captureIo({ cwd: dir });
    // Act
    await main(['students', 'add', 'erin', '--state', state], first);
    const code = await main(['students', 'add', 'erin', '--state', state], again);
    // Assess
    expect(code).toBe(1);
    expect(again.out()).toBe('');
    expect(again.err()).toContain('erin');
  });
});
