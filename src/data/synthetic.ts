import { checksumCifar10Files, encodeCifar10Files } from './parse.js';
import {
  CIFAR10_CLASSES,
  CIFAR10_IMAGE_BYTES,
  type Cifar10Dataset,
  type Cifar10Split,
} from './types.js';

export interface SyntheticCifar10Options {
  train: number;
  test: number;
  seed: number;
}

const SIDE = 32;
const PLANE = SIDE * SIDE;
/** Amplitudes on the 0–255 scale: signal strong enough to learn in an epoch, noise enough not to be trivial. */
const TINT = 40;
const STRIPES = 40;
const NOISE = 30;
const STRIPE_CYCLES = 3;

/**
 * A small dataset in CIFAR-10's format whose classes can be learned: each class has its own
 * tint (hue 36° apart) and its own stripe orientation, at a random phase per image, under noise.
 * A linear model separates the tints and a conv net the stripes, so smoke-training tests can
 * expect accuracy far above chance after an epoch or two. Same options, same bytes.
 */
export function syntheticCifar10(options: SyntheticCifar10Options): Cifar10Dataset {
  const { train: trainCount, test: testCount, seed } = options;
  for (const [name, value] of [
    ['train', trainCount],
    ['test', testCount],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`syntheticCifar10: ${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isInteger(seed)) {
    throw new RangeError(`syntheticCifar10: seed must be an integer, got ${seed}`);
  }
  const random = mulberry32(seed);
  const dataset: Cifar10Dataset = {
    train: syntheticSplit(trainCount, random),
    test: syntheticSplit(testCount, random),
    checksum: '',
    source: `synthetic(train=${trainCount}, test=${testCount}, seed=${seed})`,
  };
  // The checksum of the files writeCifar10Dir would write, so a written copy loads with the same one.
  dataset.checksum = checksumCifar10Files(encodeCifar10Files(dataset));
  return dataset;
}

function syntheticSplit(count: number, random: () => number): Cifar10Split {
  const labels = new Uint8Array(count);
  // Balanced classes in a seeded order, like the real splits.
  for (let i = 0; i < count; i += 1) labels[i] = i % CIFAR10_CLASSES;
  for (let i = count - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const swap = labels[i] as number;
    labels[i] = labels[j] as number;
    labels[j] = swap;
  }
  const images = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
  for (let i = 0; i < count; i += 1) {
    drawImage(images, i * CIFAR10_IMAGE_BYTES, labels[i] as number, random);
  }
  return { images, labels, count };
}

function drawImage(images: Uint8Array, base: number, label: number, random: () => number): void {
  const hue = (2 * Math.PI * label) / CIFAR10_CLASSES;
  const angle = (Math.PI * label) / CIFAR10_CLASSES;
  const kx = (2 * Math.PI * STRIPE_CYCLES * Math.cos(angle)) / SIDE;
  const ky = (2 * Math.PI * STRIPE_CYCLES * Math.sin(angle)) / SIDE;
  const phase = 2 * Math.PI * random();
  for (let channel = 0; channel < 3; channel += 1) {
    const tint = 128 + TINT * Math.cos(hue + (2 * Math.PI * channel) / 3);
    const plane = base + channel * PLANE;
    for (let y = 0; y < SIDE; y += 1) {
      for (let x = 0; x < SIDE; x += 1) {
        // Sum of three uniforms: a cheap, bounded, roughly normal noise with std ≈ NOISE.
        const noise = (random() + random() + random() - 1.5) * 2 * NOISE;
        const value = tint + STRIPES * Math.cos(kx * x + ky * y + phase) + noise;
        images[plane + y * SIDE + x] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
}

/** A small, fast, seedable PRNG (uniform in [0, 1)); Math.random cannot be seeded. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
