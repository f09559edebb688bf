import { describe, expect, it } from 'vitest';
import { Cifar10BatchError, fillBatch, syntheticCifar10 } from '../../src/data/index.js';

const split = syntheticCifar10({ train: 12, test: 1, seed: 9 }).train;

/** The same conversion written the obvious way, pixel by pixel. */
function referenceNhwc(index: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < 32; y += 1) {
    for (let x = 0; x < 32; x += 1) {
      for (let c = 0; c < 3; c += 1) {
        out.push((split.images[index * 3072 + c * 1024 + y * 32 + x] as number) / 255);
      }
    }
  }
  return out;
}

describe('fillBatch', () => {
  it('writes the chosen images as NHWC floats in [0, 1] with their labels', () => {
    // Prepare
    const indices = [7, 0, 11, 7];
    const images = new Float32Array(4 * 3072);
    const labels = new Int32Array(4);

    // Act
    fillBatch(split, indices, images, labels);

    // Assess
    indices.forEach((index, i) => {
      expect(Array.from(images.subarray(i * 3072, (i + 1) * 3072))).toEqual(
        referenceNhwc(index).map(Math.fround),
      );
      expect(labels[i]).toBe(split.labels[index]);
    });
  });

  it('fills a short last batch at the front of larger buffers and leaves the rest alone', () => {
    // Prepare
    const images = new Float32Array(3 * 3072).fill(-1);
    const labels = new Int32Array(3).fill(-1);

    // Act
    fillBatch(split, Int32Array.of(2), images, labels);

    // Assess
    expect(labels[0]).toBe(split.labels[2]);
    expect(Array.from(labels.subarray(1))).toEqual([-1, -1]);
    expect(images.subarray(3072).every((value) => value === -1)).toBe(true);
  });

  const misuses = [
    {
      description: 'an index past the end',
      indices: [0, 12],
      size: 2,
      message: /batch position 1 asks for image 12; the split holds 12/,
    },
    { description: 'a negative index', indices: [-1], size: 1, message: /asks for image -1/ },
    { description: 'a fractional index', indices: [1.5], size: 1, message: /asks for image 1.5/ },
    {
      description: 'buffers too small',
      indices: [0, 1],
      size: 1,
      message: /batch of 2 needs 6144 image floats and 2 labels; got buffers of 3072 and 1/,
    },
  ];

  it.each(misuses)('rejects $description', ({ indices, size, message }) => {
    // Prepare
    const images = new Float32Array(size * 3072);
    const labels = new Int32Array(size);

    // Act
    const fill = () => fillBatch(split, indices, images, labels);

    // Assess
    expect(fill).toThrow(Cifar10BatchError);
    expect(fill).toThrow(message);
  });
});
