import { mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CIFAR10_FILES,
  CIFAR10_RECORD_BYTES,
  Cifar10DataError,
  loadCifar10FromDir,
  loadCifar10FromStore,
  syntheticCifar10,
  writeCifar10Dir,
} from '../../src/data/index.js';
import { FileSystemObjectStore } from '../../src/storage/index.js';

const dataset = syntheticCifar10({ train: 23, test: 7, seed: 5 });

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cifar-load-'));
  await writeCifar10Dir(dir, dataset);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadCifar10FromDir', () => {
  it('reads back exactly what writeCifar10Dir wrote, with the same checksum', async () => {
    // Act
    const loaded = await loadCifar10FromDir(dir);

    // Assess
    expect(loaded.train.count).toBe(23);
    expect(loaded.test.count).toBe(7);
    expect(loaded.train.images).toEqual(dataset.train.images);
    expect(loaded.train.labels).toEqual(dataset.train.labels);
    expect(loaded.test.images).toEqual(dataset.test.images);
    expect(loaded.test.labels).toEqual(dataset.test.labels);
    expect(loaded.checksum).toBe(dataset.checksum);
    expect(loaded.source).toBe(dir);
  });

  it('keeps the first records of each split under limits, and the checksum of the whole files', async () => {
    // Act
    const loaded = await loadCifar10FromDir(dir, { limitTrain: 10, limitTest: 3 });

    // Assess
    expect(loaded.train.count).toBe(10);
    expect(loaded.test.count).toBe(3);
    expect(loaded.train.images).toEqual(dataset.train.images.subarray(0, 10 * 3072));
    expect(loaded.test.labels).toEqual(dataset.test.labels.subarray(0, 3));
    expect(loaded.checksum).toBe(dataset.checksum);
  });

  it('spreads training records over the five batch files in order', async () => {
    // Act
    const sizes = await Promise.all(
      CIFAR10_FILES.map(async (file) => (await readFile(path.join(dir, file))).length),
    );

    // Assess: 23 records over 5 files, floor-split, then the 7 test records.
    expect(sizes.map((size) => size / CIFAR10_RECORD_BYTES)).toEqual([4, 5, 4, 5, 5, 7]);
  });

  const damages: {
    description: string;
    damage: (dir: string) => Promise<void>;
    file: string;
    offset: number | undefined;
    message: RegExp;
  }[] = [
    {
      description: 'a truncated training file',
      damage: (d) => truncate(path.join(d, 'data_batch_3.bin'), 2 * CIFAR10_RECORD_BYTES + 100),
      file: 'data_batch_3.bin',
      offset: 2 * CIFAR10_RECORD_BYTES,
      message:
        /data_batch_3\.bin: 6246 bytes is not a whole number of 3073-byte records \(100 stray bytes from byte offset 6146\)/,
    },
    {
      description: 'a label outside 0..9',
      damage: async (d) => {
        const file = path.join(d, 'test_batch.bin');
        const bytes = await readFile(file);
        bytes[3 * CIFAR10_RECORD_BYTES] = 12;
        await writeFile(file, bytes);
      },
      file: 'test_batch.bin',
      offset: 3 * CIFAR10_RECORD_BYTES,
      message:
        /test_batch\.bin: label 12 at byte offset 9219 \(record 3\) is not a class index 0\.\.9/,
    },
    {
      description: 'a missing file',
      damage: (d) => unlink(path.join(d, 'data_batch_5.bin')),
      file: 'data_batch_5.bin',
      offset: undefined,
      message: /data_batch_5\.bin is missing from /,
    },
    {
      description: 'several missing files, the first in the fixed order',
      damage: async (d) => {
        await unlink(path.join(d, 'test_batch.bin'));
        await unlink(path.join(d, 'data_batch_4.bin'));
      },
      file: 'data_batch_4.bin',
      offset: undefined,
      message: /data_batch_4\.bin is missing from /,
    },
  ];

  it.each(damages)('rejects $description, naming the file and offset', async (row) => {
    // Prepare
    await row.damage(dir);

    // Act
    const error = await loadCifar10FromDir(dir).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(Cifar10DataError);
    const dataError = error as Cifar10DataError;
    expect(dataError.message).toMatch(row.message);
    expect(dataError.file).toBe(row.file);
    expect(dataError.offset).toBe(row.offset);
  });

  it('rejects a test file with no records', async () => {
    // Prepare
    await truncate(path.join(dir, 'test_batch.bin'), 0);

    // Act
    const load = loadCifar10FromDir(dir);

    // Assess
    await expect(load).rejects.toThrow(/test_batch\.bin in .* holds no records/);
  });

  it.each([0, -1, 2.5])('rejects limitTrain %s', async (limitTrain) => {
    // Act
    const load = loadCifar10FromDir(dir, { limitTrain });

    // Assess
    await expect(load).rejects.toThrow(`limitTrain must be a positive integer, got ${limitTrain}`);
  });
});

describe('loadCifar10FromStore', () => {
  it.each(['datasets/cifar', 'datasets/cifar/'])(
    'reads the same dataset under prefix "%s"',
    async (prefix) => {
      // Prepare
      const root = await mkdtemp(path.join(tmpdir(), 'cifar-store-'));
      await writeCifar10Dir(path.join(root, 'datasets', 'cifar'), dataset);
      const store = new FileSystemObjectStore(root);

      try {
        // Act
        const loaded = await loadCifar10FromStore(store, prefix, { limitTest: 5 });

        // Assess
        expect(loaded.train.images).toEqual(dataset.train.images);
        expect(loaded.test.count).toBe(5);
        expect(loaded.checksum).toBe(dataset.checksum);
        expect(loaded.source).toBe('datasets/cifar/');
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  );

  it('names the missing object under its prefix', async () => {
    // Prepare
    const store = new FileSystemObjectStore(dir);

    // Act
    const load = loadCifar10FromStore(store, 'elsewhere');

    // Assess
    await expect(load).rejects.toThrow(/data_batch_1\.bin is missing from elsewhere\//);
  });
});
