import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import type { ObjectStore } from '../../src/storage/index.js';

/** Writes a small learnable CIFAR-10 in the binary layout under `prefix` of a store. */
export async function putSyntheticCifar10(
  store: ObjectStore,
  prefix: string,
  size: { train: number; test: number },
): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'synthetic-cifar-'));
  try {
    await writeCifar10Dir(dir, syntheticCifar10({ ...size, seed: 7 }));
    for (const file of await readdir(dir)) {
      await store.put(`${prefix}${file}`, await readFile(path.join(dir, file)));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
