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

  it('prints help on --help with exit 0', async () => {
    const io = captureIo();
    const code = await main(['--help'], io);
    expect(code).toBe(0);
    expect(io.out()).toContain('Commands:');
  });
});
