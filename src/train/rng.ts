/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32) so that weight init,
 * shuffling and dropout masks are reproducible: same seed, same run. Math.random cannot be seeded.
 */
export interface Rng {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1) with 24 bits of precision (float32's mantissa). */
  nextFloat(): number;
}

/** Independent streams from one seed: one for init, one for shuffling, one for dropout. */
export const RNG_STREAM = { init: 1, shuffle: 2, dropout: 3 } as const;

const TWO_POW_24 = 16_777_216;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A generator for `seed` (any safe integer) and `stream`; different streams do not overlap in practice. */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer, got ${seed}`);
  }
  // Fold the high bits and the stream in so that seeds past 2^32 and streams stay distinct.
  const high = Math.floor(seed / 0x1_0000_0000);
  const mix = splitmix32(
    (seed ^ Math.imul(high, 0x27d4eb2d) ^ Math.imul(stream, 0x165667b1)) >>> 0,
  );
  let s0 = mix();
  let s1 = mix();
  let s2 = mix();
  let s3 = mix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  return {
    nextUint32,
    nextFloat: () => (nextUint32() >>> 8) / TWO_POW_24,
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A uniform integer in [0, n), without modulo bias. */
export function nextBelow(rng: Rng, n: number): number {
  if (!(Number.isInteger(n) && n > 0 && n <= 0x1_0000_0000)) {
    throw new RangeError(`nextBelow needs an integer in [1, 2^32], got ${n}`);
  }
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
  for (;;) {
    const value = rng.nextUint32();
    if (value < limit) return value % n;
  }
}

/** Fisher–Yates in place. */
export function shuffleInPlace(rng: Rng, values: Uint32Array | Int32Array | number[]): void {
  for (let i = values.length - 1; i > 0; i -= 1) {
    const j = nextBelow(rng, i + 1);
    const swap = values[i] as number;
    values[i] = values[j] as number;
    values[j] = swap;
  }
}

/** `count` floats uniform in [-bound, bound). */
export function uniformArray(rng: Rng, count: number, bound: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i += 1) values[i] = (rng.nextFloat() * 2 - 1) * bound;
  return values;
}
