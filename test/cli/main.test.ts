import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

describe('autograder CLI dispatch', () => {
  it('answers an unknown command with exit 2 and the command list', async () => {
    // Prepare
    const io = captureIo();
    // Act
    const code = await main(['frobnicate'], io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain('unknown command "frobnicate"');
    expect(io.err()).toContain('Usage: autograder <command>');
  });

  it('suggests the nearest command for a mistyped one', async () => {
    // Prepare
    const io = captureIo();
    // Act
    const code = await main(['grdae', 'x.json'], io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toBe(
      'autograder: unknown command "grdae". Did you mean "grade"?\nRun "autograder --help" for the commands.\n',
    );
  });

  it('prints the package version on --version with exit 0', async () => {
    // Prepare
    const io = captureIo();
    const manifest = JSON.parse(
      await readFile(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
    ) as { version: string };
    // Act
    const code = await main(['--version'], io);
    // Assess
    expect(code).toBe(0);
    expect(io.out()).toBe(`${manifest.version}\n`);
  });

  it('names an unknown option in balanced quotes with the nearest known one', async () => {
    // Prepare
    const io = captureIo();
    // Act
    const code = await main(['grade', 'x.json', '--limt-train', '5'], io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain(
      'autograder grade: unknown option --limt-train (did you mean --limit-train?); --help lists the options',
    );
    expect(io.err().split('\n')[0]?.split("'").length ?? 0).toBe(1);
  });

  it('prints help on --help with exit 0', async () => {
    const io = captureIo();
    const code = await main(['--help'], io);
    expect(code).toBe(0);
    expect(io.out()).toContain('Commands:');
  });
});
