import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runtimeNotice } from '../../src/cli/runtime.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

describe('the supported Node', () => {
  it.each([
    { version: '22.23.5', says: undefined },
    { version: '20.20.2', says: 'older than the supported Node 22' },
    { version: '24.1.0', says: 'tfjs-node and tfjs-node-gpu do not load' },
  ])('answers Node $version with $says', ({ version, says }) => {
    // Act
    const notice = runtimeNotice(version);
    // Assess
    if (says === undefined) expect(notice).toBeUndefined();
    else expect(notice).toContain(says);
  });

  // The machine's own Node, when it is older than 22, shows what users on it see.
  const systemNode = '/usr/bin/node';
  it.skipIf(!existsSync(systemNode))(
    "prints one line instead of the AWS SDK's warning on another Node",
    async () => {
      // Prepare
      const { stdout: version } = await run(systemNode, ['-p', 'process.versions.node']);
      const other = !version.startsWith('22.');
      // Act
      const answer = await run(systemNode, ['--import', TSX, BIN, 'status', '--stack', 'Nope'], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'x',
          AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:9',
          AWS_MAX_ATTEMPTS: '1',
        },
      }).catch((error: { stderr: string; code: number }) => error);
      // Assess
      const lines = answer.stderr.trim().split('\n');
      expect(answer.stderr).not.toContain('NodeVersionSupportWarning');
      if (other) expect(lines[0]).toMatch(/^autograder: Node \d+\.\S+ is (older|newer) than/);
      expect(lines.at(-2) ?? '').toMatch(/^autograder status: /);
    },
  );
});
