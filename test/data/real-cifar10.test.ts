import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillBatch, loadCifar10FromDir } from '../../src/data/index.js';
import { REAL_CIFAR_SKIP_REASON, realCifarDir } from '../helpers/cifar.js';

const dir = realCifarDir('real CIFAR-10 copy');

describe.skipIf(dir === undefined)(`real CIFAR-10 copy (${REAL_CIFAR_SKIP_REASON})`, () => {
  it('loads 50,000 training and 10,000 test images with the official class balance', async () => {
    // Act
    const dataset = await loadCifar10FromDir(dir as string);

    // Assess
    expect(dataset.train.count).toBe(50_000);
    expect(dataset.test.count).toBe(10_000);
    const trainCounts = new Array<number>(10).fill(0);
    for (const label of dataset.train.labels)
      trainCounts[label] = (trainCounts[label] as number) + 1;
    const testCounts = new Array<number>(10).fill(0);
    for (const label of dataset.test.labels) testCounts[label] = (testCounts[label] as number) + 1;
    expect(trainCounts).toEqual(new Array<number>(10).fill(5000));
    expect(testCounts).toEqual(new Array<number>(10).fill(1000));
  });

  it('places a record of data_batch_2 where its bytes say, through fillBatch', async () => {
    // Prepare: record 17 of data_batch_2 is training image 10,017.
    const dataset = await loadCifar10FromDir(dir as string, { limitTrain: 10_100, limitTest: 1 });
    const raw = await readFile(path.join(dir as string, 'data_batch_2.bin'));
    const record = raw.subarray(17 * 3073, 18 * 3073);
    const images = new Float32Array(3072);
    const labels = new Int32Array(1);

    // Act
    fillBatch(dataset.train, [10_017], images, labels);

    // Assess: label byte, then the pixel at row 5, column 9 of each colour plane.
    expect(labels[0]).toBe(record[0]);
    const pixel = (5 * 32 + 9) * 3;
    expect(images[pixel]).toBeCloseTo((record[1 + 5 * 32 + 9] as number) / 255, 6);
    expect(images[pixel + 1]).toBeCloseTo((record[1 + 1024 + 5 * 32 + 9] as number) / 255, 6);
    expect(images[pixel + 2]).toBeCloseTo((record[1 + 2048 + 5 * 32 + 9] as number) / 255, 6);
  });
});
