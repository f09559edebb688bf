import { describe, expect, it } from 'vitest';
import { type Cifar10Split, syntheticCifar10 } from '../../src/data/index.js';

/** Test accuracy of a nearest-class-mean classifier on raw pixels: no training framework needed. */
function nearestMeanAccuracy(train: Cifar10Split, test: Cifar10Split): number {
  const means = Array.from({ length: 10 }, () => new Float64Array(3072));
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < train.count; i += 1) {
    const label = train.labels[i] as number;
    counts[label] = (counts[label] as number) + 1;
    const mean = means[label] as Float64Array;
    for (let p = 0; p < 3072; p += 1)
      mean[p] = (mean[p] as number) + (train.images[i * 3072 + p] as number);
  }
  means.forEach((mean, label) => {
    for (let p = 0; p < 3072; p += 1) mean[p] = (mean[p] as number) / (counts[label] as number);
  });
  let correct = 0;
  for (let i = 0; i < test.count; i += 1) {
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    means.forEach((mean, label) => {
      let distance = 0;
      for (let p = 0; p < 3072; p += 1) {
        const d = (test.images[i * 3072 + p] as number) - (mean[p] as number);
        distance += d * d;
      }
      if (distance < bestDistance) {
        bestDistance = distance;
        best = label;
      }
    });
    if (best === test.labels[i]) correct += 1;
  }
  return correct / test.count;
}

describe('syntheticCifar10', () => {
  it('gives the same bytes and checksum for the same options', () => {
    // Act
    const first = syntheticCifar10({ train: 40, test: 10, seed: 3 });
    const second = syntheticCifar10({ train: 40, test: 10, seed: 3 });

    // Assess
    expect(second.train.images).toEqual(first.train.images);
    expect(second.test.labels).toEqual(first.test.labels);
    expect(second.checksum).toBe(first.checksum);
    expect(first.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives different data for another seed', () => {
    // Act
    const first = syntheticCifar10({ train: 40, test: 10, seed: 3 });
    const other = syntheticCifar10({ train: 40, test: 10, seed: 4 });

    // Assess
    expect(other.train.images).not.toEqual(first.train.images);
    expect(other.checksum).not.toBe(first.checksum);
  });

  it('balances the classes', () => {
    // Act
    const { train } = syntheticCifar10({ train: 200, test: 10, seed: 1 });

    // Assess
    const counts = new Array<number>(10).fill(0);
    for (const label of train.labels) counts[label] = (counts[label] as number) + 1;
    expect(counts).toEqual(new Array<number>(10).fill(20));
  });

  it('has classes a simple model tells apart far above chance', () => {
    // Prepare
    const { train, test } = syntheticCifar10({ train: 500, test: 200, seed: 11 });

    // Act
    const accuracy = nearestMeanAccuracy(train, test);

    // Assess: chance is 0.1.
    expect(accuracy).toBeGreaterThan(0.6);
  });

  it.each([
    {
      description: 'zero training images',
      options: { train: 0, test: 1, seed: 1 },
      message: /train must be a positive integer, got 0/,
    },
    {
      description: 'a fractional test size',
      options: { train: 1, test: 1.5, seed: 1 },
      message: /test must be a positive integer, got 1.5/,
    },
    {
      description: 'a fractional seed',
      options: { train: 1, test: 1, seed: 0.5 },
      message: /seed must be an integer, got 0.5/,
    },
  ])('rejects $description', ({ options, message }) => {
    // Act
    const make = () => syntheticCifar10(options);

    // Assess
    expect(make).toThrow(message);
  });
});
