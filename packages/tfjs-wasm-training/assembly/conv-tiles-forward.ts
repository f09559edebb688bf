// The forward convolution's tiles: rows × 4·vectors of w held in registers while the block's
// positions stream by, each adding its patch's contribution into y. Row r of a tile reads the
// patch at byte offset 4·r.
import {
  blockRows,
  outLineStep,
  outStep,
  outWidth,
  wRowBytes,
  xLineStep,
  xStep,
} from './conv-geometry';

export function forwardTile16x2(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  const w02 = v128.load(w, 32);
  const w03 = v128.load(w, 48);
  const w10 = v128.load(w + 1 * wRowBytes);
  const w11 = v128.load(w + 1 * wRowBytes, 16);
  const w12 = v128.load(w + 1 * wRowBytes, 32);
  const w13 = v128.load(w + 1 * wRowBytes, 48);
  let line = x;
  let outLine = y;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    let out = outLine;
    outLine += outLineStep;
    for (let i = 0; i < outWidth; i++) {
      let a0 = v128.load(out);
      let a1 = v128.load(out, 16);
      let a2 = v128.load(out, 32);
      let a3 = v128.load(out, 48);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      a1 = f32x4.add(a1, f32x4.mul(s0, w01));
      a2 = f32x4.add(a2, f32x4.mul(s0, w02));
      a3 = f32x4.add(a3, f32x4.mul(s0, w03));
      const s1 = v128.load32_splat(p, 4);
      a0 = f32x4.add(a0, f32x4.mul(s1, w10));
      a1 = f32x4.add(a1, f32x4.mul(s1, w11));
      a2 = f32x4.add(a2, f32x4.mul(s1, w12));
      a3 = f32x4.add(a3, f32x4.mul(s1, w13));
      v128.store(out, a0);
      v128.store(out, a1, 16);
      v128.store(out, a2, 32);
      v128.store(out, a3, 48);
      p += xStep;
      out += outStep;
    }
  }
}

export function forwardTile16x1(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  const w02 = v128.load(w, 32);
  const w03 = v128.load(w, 48);
  let line = x;
  let outLine = y;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    let out = outLine;
    outLine += outLineStep;
    for (let i = 0; i < outWidth; i++) {
      let a0 = v128.load(out);
      let a1 = v128.load(out, 16);
      let a2 = v128.load(out, 32);
      let a3 = v128.load(out, 48);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      a1 = f32x4.add(a1, f32x4.mul(s0, w01));
      a2 = f32x4.add(a2, f32x4.mul(s0, w02));
      a3 = f32x4.add(a3, f32x4.mul(s0, w03));
      v128.store(out, a0);
      v128.store(out, a1, 16);
      v128.store(out, a2, 32);
      v128.store(out, a3, 48);
      p += xStep;
      out += outStep;
    }
  }
}

export function forwardTile8x4(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  const w10 = v128.load(w + 1 * wRowBytes);
  const w11 = v128.load(w + 1 * wRowBytes, 16);
  const w20 = v128.load(w + 2 * wRowBytes);
  const w21 = v128.load(w + 2 * wRowBytes, 16);
  const w30 = v128.load(w + 3 * wRowBytes);
  const w31 = v128.load(w + 3 * wRowBytes, 16);
  let line = x;
  let outLine = y;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    let out = outLine;
    outLine += outLineStep;
    for (let i = 0; i < outWidth; i++) {
      let a0 = v128.load(out);
      let a1 = v128.load(out, 16);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      a1 = f32x4.add(a1, f32x4.mul(s0, w01));
      const s1 = v128.load32_splat(p, 4);
      a0 = f32x4.add(a0, f32x4.mul(s1, w10));
      a1 = f32x4.add(a1, f32x4.mul(s1, w11));
      const s2 = v128.load32_splat(p, 8);
      a0 = f32x4.add(a0, f32x4.mul(s2, w20));
      a1 = f32x4.add(a1, f32x4.mul(s2, w21));
      const s3 = v128.load32_splat(p, 12);
      a0 = f32x4.add(a0, f32x4.mul(s3, w30));
      a1 = f32x4.add(a1, f32x4.mul(s3, w31));
      v128.store(out, a0);
      v128.store(out, a1, 16);
      p += xStep;
      out += outStep;
    }
  }
}

export function forwardTile8x1(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  let line = x;
  let outLine = y;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    let out = outLine;
    outLine += outLineStep;
    for (let i = 0; i < outWidth; i++) {
      let a0 = v128.load(out);
      let a1 = v128.load(out, 16);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      a1 = f32x4.add(a1, f32x4.mul(s0, w01));
      v128.store(out, a0);
      v128.store(out, a1, 16);
      p += xStep;
      out += outStep;
    }
  }
}

export function forwardTile4x8(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w10 = v128.load(w + 1 * wRowBytes);
  const w20 = v128.load(w + 2 * wRowBytes);
  const w30 = v128.load(w + 3 * wRowBytes);
  const w40 = v128.load(w + 4 * wRowBytes);
  const w50 = v128.load(w + 5 * wRowBytes);
  const w60 = v128.load(w + 6 * wRowBytes);
  const w70 = v128.load(w + 7 * wRowBytes);
  let line = x;
  let outLine = y;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    let out = outLine;
    outLine += outLineStep;
    for (let i = 0; i < outWidth; i++) {
      let a0 = v128.load(out);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      const s1 = v128.load32_splat(p, 4);
      a0 = f32x4.add(a0, f32x4.mul(s1, w10));
      const s2 = v128.load32_splat(p, 8);
      a0 = f32x4.add(a0, f32x4.mul(s2, w20));
      const s3 = v128.load32_splat(p, 12);
      a0 = f32x4.add(a0, f32x4.mul(s3, w30));
      const s4 = v128.load32_splat(p, 16);
      a0 = f32x4.add(a0, f32x4.mul(s4, w40));
      const s5 = v128.load32_splat(p, 20);
      a0 = f32x4.add(a0, f32x4.mul(s5, w50));
      const s6 = v128.load32_splat(p, 24);
      a0 = f32x4.add(a0, f32x4.mul(s6, w60));
      const s7 = v128.load32_splat(p, 28);
      a0 = f32x4.add(a0, f32x4.mul(s7, w70));
      v128.store(out, a0);
      p += xStep;
      out += outStep;
    }
  }
}

export function forwardTile4x4(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w10 = v128.load(w + 1 * wRowBytes);
  const w20 = v128.load(w + 2 * wRowBytes);
  const w30 = v128.load(w + 3 * wRowBytes);
  let line = x;
  let outLine = y;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    let out = outLine;
    outLine += outLineStep;
    for (let i = 0; i < outWidth; i++) {
      let a0 = v128.load(out);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      const s1 = v128.load32_splat(p, 4);
      a0 = f32x4.add(a0, f32x4.mul(s1, w10));
      const s2 = v128.load32_splat(p, 8);
      a0 = f32x4.add(a0, f32x4.mul(s2, w20));
      const s3 = v128.load32_splat(p, 12);
      a0 = f32x4.add(a0, f32x4.mul(s3, w30));
      v128.store(out, a0);
      p += xStep;
      out += outStep;
    }
  }
}

export function forwardTile4x1(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  let line = x;
  let outLine = y;
  for (let row = 0; row < blockRows; row++) {
    let p = line;
    line += xLineStep;
    let out = outLine;
    outLine += outLineStep;
    for (let i = 0; i < outWidth; i++) {
      let a0 = v128.load(out);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      v128.store(out, a0);
      p += xStep;
      out += outStep;
    }
  }
}
