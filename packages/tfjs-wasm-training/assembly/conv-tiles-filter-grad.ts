// The filter gradient's tiles: rows × 4·vectors of dw held in registers while the block's
// positions stream by (x at p, dy at d). Row r of a tile reads the patch at byte offset 4·r.
// At most 8 accumulators: x64 has 16 vector registers, and more spill.
import { blockRows, channelBytes, outWidth, xLineStep, xStep } from './conv-geometry';

export function gradTile16x2(x: usize, d: usize, w: usize): void {
  const w0 = w;
  const w1 = w + 1 * channelBytes;
  let a00 = v128.load(w0);
  let a01 = v128.load(w0, 16);
  let a02 = v128.load(w0, 32);
  let a03 = v128.load(w0, 48);
  let a10 = v128.load(w1);
  let a11 = v128.load(w1, 16);
  let a12 = v128.load(w1, 32);
  let a13 = v128.load(w1, 48);
  let line = x;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    for (let i = 0; i < outWidth; i++) {
      const d0 = v128.load(d);
      const d1 = v128.load(d, 16);
      const d2 = v128.load(d, 32);
      const d3 = v128.load(d, 48);
      const s0 = v128.load32_splat(p);
      a00 = f32x4.add(a00, f32x4.mul(s0, d0));
      a01 = f32x4.add(a01, f32x4.mul(s0, d1));
      a02 = f32x4.add(a02, f32x4.mul(s0, d2));
      a03 = f32x4.add(a03, f32x4.mul(s0, d3));
      const s1 = v128.load32_splat(p, 4);
      a10 = f32x4.add(a10, f32x4.mul(s1, d0));
      a11 = f32x4.add(a11, f32x4.mul(s1, d1));
      a12 = f32x4.add(a12, f32x4.mul(s1, d2));
      a13 = f32x4.add(a13, f32x4.mul(s1, d3));
      p += xStep;
      d += channelBytes;
    }
  }
  v128.store(w0, a00);
  v128.store(w0, a01, 16);
  v128.store(w0, a02, 32);
  v128.store(w0, a03, 48);
  v128.store(w1, a10);
  v128.store(w1, a11, 16);
  v128.store(w1, a12, 32);
  v128.store(w1, a13, 48);
}

export function gradTile16x1(x: usize, d: usize, w: usize): void {
  const w0 = w;
  let a00 = v128.load(w0);
  let a01 = v128.load(w0, 16);
  let a02 = v128.load(w0, 32);
  let a03 = v128.load(w0, 48);
  let line = x;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    for (let i = 0; i < outWidth; i++) {
      const d0 = v128.load(d);
      const d1 = v128.load(d, 16);
      const d2 = v128.load(d, 32);
      const d3 = v128.load(d, 48);
      const s0 = v128.load32_splat(p);
      a00 = f32x4.add(a00, f32x4.mul(s0, d0));
      a01 = f32x4.add(a01, f32x4.mul(s0, d1));
      a02 = f32x4.add(a02, f32x4.mul(s0, d2));
      a03 = f32x4.add(a03, f32x4.mul(s0, d3));
      p += xStep;
      d += channelBytes;
    }
  }
  v128.store(w0, a00);
  v128.store(w0, a01, 16);
  v128.store(w0, a02, 32);
  v128.store(w0, a03, 48);
}

export function gradTile8x4(x: usize, d: usize, w: usize): void {
  const w0 = w;
  const w1 = w + 1 * channelBytes;
  const w2 = w + 2 * channelBytes;
  const w3 = w + 3 * channelBytes;
  let a00 = v128.load(w0);
  let a01 = v128.load(w0, 16);
  let a10 = v128.load(w1);
  let a11 = v128.load(w1, 16);
  let a20 = v128.load(w2);
  let a21 = v128.load(w2, 16);
  let a30 = v128.load(w3);
  let a31 = v128.load(w3, 16);
  let line = x;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    for (let i = 0; i < outWidth; i++) {
      const d0 = v128.load(d);
      const d1 = v128.load(d, 16);
      const s0 = v128.load32_splat(p);
      a00 = f32x4.add(a00, f32x4.mul(s0, d0));
      a01 = f32x4.add(a01, f32x4.mul(s0, d1));
      const s1 = v128.load32_splat(p, 4);
      a10 = f32x4.add(a10, f32x4.mul(s1, d0));
      a11 = f32x4.add(a11, f32x4.mul(s1, d1));
      const s2 = v128.load32_splat(p, 8);
      a20 = f32x4.add(a20, f32x4.mul(s2, d0));
      a21 = f32x4.add(a21, f32x4.mul(s2, d1));
      const s3 = v128.load32_splat(p, 12);
      a30 = f32x4.add(a30, f32x4.mul(s3, d0));
      a31 = f32x4.add(a31, f32x4.mul(s3, d1));
      p += xStep;
      d += channelBytes;
    }
  }
  v128.store(w0, a00);
  v128.store(w0, a01, 16);
  v128.store(w1, a10);
  v128.store(w1, a11, 16);
  v128.store(w2, a20);
  v128.store(w2, a21, 16);
  v128.store(w3, a30);
  v128.store(w3, a31, 16);
}

export function gradTile8x1(x: usize, d: usize, w: usize): void {
  const w0 = w;
  let a00 = v128.load(w0);
  let a01 = v128.load(w0, 16);
  let line = x;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    for (let i = 0; i < outWidth; i++) {
      const d0 = v128.load(d);
      const d1 = v128.load(d, 16);
      const s0 = v128.load32_splat(p);
      a00 = f32x4.add(a00, f32x4.mul(s0, d0));
      a01 = f32x4.add(a01, f32x4.mul(s0, d1));
      p += xStep;
      d += channelBytes;
    }
  }
  v128.store(w0, a00);
  v128.store(w0, a01, 16);
}

export function gradTile4x8(x: usize, d: usize, w: usize): void {
  const w0 = w;
  const w1 = w + 1 * channelBytes;
  const w2 = w + 2 * channelBytes;
  const w3 = w + 3 * channelBytes;
  const w4 = w + 4 * channelBytes;
  const w5 = w + 5 * channelBytes;
  const w6 = w + 6 * channelBytes;
  const w7 = w + 7 * channelBytes;
  let a00 = v128.load(w0);
  let a10 = v128.load(w1);
  let a20 = v128.load(w2);
  let a30 = v128.load(w3);
  let a40 = v128.load(w4);
  let a50 = v128.load(w5);
  let a60 = v128.load(w6);
  let a70 = v128.load(w7);
  let line = x;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    for (let i = 0; i < outWidth; i++) {
      const d0 = v128.load(d);
      const s0 = v128.load32_splat(p);
      a00 = f32x4.add(a00, f32x4.mul(s0, d0));
      const s1 = v128.load32_splat(p, 4);
      a10 = f32x4.add(a10, f32x4.mul(s1, d0));
      const s2 = v128.load32_splat(p, 8);
      a20 = f32x4.add(a20, f32x4.mul(s2, d0));
      const s3 = v128.load32_splat(p, 12);
      a30 = f32x4.add(a30, f32x4.mul(s3, d0));
      const s4 = v128.load32_splat(p, 16);
      a40 = f32x4.add(a40, f32x4.mul(s4, d0));
      const s5 = v128.load32_splat(p, 20);
      a50 = f32x4.add(a50, f32x4.mul(s5, d0));
      const s6 = v128.load32_splat(p, 24);
      a60 = f32x4.add(a60, f32x4.mul(s6, d0));
      const s7 = v128.load32_splat(p, 28);
      a70 = f32x4.add(a70, f32x4.mul(s7, d0));
      p += xStep;
      d += channelBytes;
    }
  }
  v128.store(w0, a00);
  v128.store(w1, a10);
  v128.store(w2, a20);
  v128.store(w3, a30);
  v128.store(w4, a40);
  v128.store(w5, a50);
  v128.store(w6, a60);
  v128.store(w7, a70);
}

export function gradTile4x4(x: usize, d: usize, w: usize): void {
  const w0 = w;
  const w1 = w + 1 * channelBytes;
  const w2 = w + 2 * channelBytes;
  const w3 = w + 3 * channelBytes;
  let a00 = v128.load(w0);
  let a10 = v128.load(w1);
  let a20 = v128.load(w2);
  let a30 = v128.load(w3);
  let line = x;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    for (let i = 0; i < outWidth; i++) {
      const d0 = v128.load(d);
      const s0 = v128.load32_splat(p);
      a00 = f32x4.add(a00, f32x4.mul(s0, d0));
      const s1 = v128.load32_splat(p, 4);
      a10 = f32x4.add(a10, f32x4.mul(s1, d0));
      const s2 = v128.load32_splat(p, 8);
      a20 = f32x4.add(a20, f32x4.mul(s2, d0));
      const s3 = v128.load32_splat(p, 12);
      a30 = f32x4.add(a30, f32x4.mul(s3, d0));
      p += xStep;
      d += channelBytes;
    }
  }
  v128.store(w0, a00);
  v128.store(w1, a10);
  v128.store(w2, a20);
  v128.store(w3, a30);
}

export function gradTile4x1(x: usize, d: usize, w: usize): void {
  const w0 = w;
  let a00 = v128.load(w0);
  let line = x;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    for (let i = 0; i < outWidth; i++) {
      const d0 = v128.load(d);
      const s0 = v128.load32_splat(p);
      a00 = f32x4.add(a00, f32x4.mul(s0, d0));
      p += xStep;
      d += channelBytes;
    }
  }
  v128.store(w0, a00);
}
