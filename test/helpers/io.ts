import type { CliIo } from '../../src/cli/types.js';

/** A CliIo that records what a command prints. */
export function captureIo(
  overrides: Partial<CliIo> = {},
): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    isTTY: false,
    env: {},
    cwd: process.cwd(),
    ...overrides,
    out: () => out,
    err: () => err,
  };
}
