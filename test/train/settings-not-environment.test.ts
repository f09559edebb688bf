import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trainingFlags } from '../../src/cli/training-flags.js';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import { captureIo } from '../helpers/io.js';

const TRAIN = fileURLToPath(new URL('../../src/train', import.meta.url));
/** The wasm kernels the engine trains with, in their own workspace package. */
const KERNELS = fileURLToPath(new URL('../../packages/tfjs-wasm-training/src', import.meta.url));

async function typescriptFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'assembly')
      files.push(...(await typescriptFiles(full)));
    else if (entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}

describe('the training engine takes its settings from its caller', () => {
  it('never reads the environment or src/config.ts', async () => {
    // Prepare
    const offenders: string[] = [];
    // Act
    for (const file of [...(await typescriptFiles(TRAIN)), ...(await typescriptFiles(KERNELS))]) {
      const source = await readFile(file, 'utf8');
      if (/process\.env|from '\.\.\/(\.\.\/)?config\.js'/.test(source)) {
        offenders.push(path.relative(TRAIN, file));
      }
    }
    // Assess
    expect(offenders).toEqual([]);
  });

  it('gets AUTOGRADER_WASM_THREADS through the CLI flags', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'autograder-flags-'));
    await writeCifar10Dir(dir, syntheticCifar10({ train: 8, test: 8, seed: 1 }));
    const io = captureIo({ env: { AUTOGRADER_WASM_THREADS: '3' } });
    // Act
    const flags = trainingFlags({ data: dir }, io);
    // Assess
    expect(flags.wasmThreads).toBe(3);
    await rm(dir, { recursive: true, force: true });
  });
});
