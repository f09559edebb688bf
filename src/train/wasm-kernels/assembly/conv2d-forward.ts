// The geometry of the current call, read by the tiles (wasm globals: one set per instance).
/** Bytes from one output position's input patch to the next along a row. */
let xStepG: usize = 0;
/** Bytes per position of y, and per row of w: outChannels floats. */
let rowBytesG: usize = 0;
/** Bytes from one output row's input patches to the next. */
let xLineStepG: usize = 0;
let outWidthG: i32 = 0;
let blockRowsG: i32 = 0;

/**
 * A 2-d convolution in NHWC, for layers with few channels, where XNNPACK's packed GEMM does
 * poorly (3 → 4 channels at 32×32: under 6 GFLOP/s):
 *
 *   y[n, oy, ox, co] = Σ_{kh, kw, ci} xp[n, oy·sh + kh, ox·sw + kw, ci] · w[kh, kw, ci, co]
 *
 * where xp is the input with its padding already applied. The tiles hold a block of w in
 * registers and stream the output positions of a block of rows, adding into y; as in the filter
 * gradient, one kernel row's kw·ci values are contiguous in xp. outChannels must be a multiple
 * of 4.
 */
export function conv2dForward(
  xp: usize,
  w: usize,
  y: usize,
  batch: i32,
  paddedHeight: i32,
  paddedWidth: i32,
  inChannels: i32,
  outHeight: i32,
  outWidth: i32,
  outChannels: i32,
  filterHeight: i32,
  filterWidth: i32,
  strideHeight: i32,
  strideWidth: i32,
): void {
  xStepG = (<usize>(strideWidth * inChannels)) << 2;
  rowBytesG = (<usize>outChannels) << 2;
  const group = filterWidth * inChannels;
  const xRowBytes = (<usize>(paddedWidth * inChannels)) << 2;
  outWidthG = outWidth;
  xLineStepG = <usize>strideHeight * xRowBytes;
  // A block of output rows whose y (about 4 KiB) stays in L1 while every tile adds into it.
  const blockRows = max(1, min(outHeight, 1024 / (outWidth * outChannels)));
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outHeight; oy += blockRows) {
      blockRowsG = min(blockRows, outHeight - oy);
      const xLine = xp + <usize>(n * paddedHeight + oy * strideHeight) * xRowBytes;
      const yBlock = y + <usize>((n * outHeight + oy) * outWidth) * rowBytesG;
      memory.fill(yBlock, 0, <usize>(blockRowsG * outWidth) * rowBytesG);
      for (let c = 0; c < outChannels; ) {
        const width = min(16, outChannels - c) & ~3;
        const yAt = yBlock + ((<usize>c) << 2);
        for (let kh = 0; kh < filterHeight; kh++) {
          const x = xLine + <usize>kh * xRowBytes;
          const wAt = w + <usize>(kh * group) * rowBytesG + ((<usize>c) << 2);
          if (width === 16) convRun16(x, yAt, wAt, group);
          else if (width >= 8) convRun8(x, yAt, wAt, group);
          else convRun4(x, yAt, wAt, group);
        }
        c += width >= 8 ? (width >= 16 ? 16 : 8) : 4;
      }
    }
  }
}

/** The `count` contiguous rows of w from wAt (and of the patch from x), 16 channels wide. */
function convRun16(x: usize, y: usize, w: usize, count: i32): void {
  let j = 0;
  for (; j + 2 <= count; j += 2) conv16x2(x + ((<usize>j) << 2), y, w + <usize>j * rowBytesG);
  if (j < count) conv16x1(x + ((<usize>j) << 2), y, w + <usize>j * rowBytesG);
}

function convRun8(x: usize, y: usize, w: usize, count: i32): void {
  let j = 0;
  for (; j + 4 <= count; j += 4) conv8x4(x + ((<usize>j) << 2), y, w + <usize>j * rowBytesG);
  for (; j < count; j++) conv8x1(x + ((<usize>j) << 2), y, w + <usize>j * rowBytesG);
}

function convRun4(x: usize, y: usize, w: usize, count: i32): void {
  let j = 0;
  for (; j + 8 <= count; j += 8) conv4x8(x + ((<usize>j) << 2), y, w + <usize>j * rowBytesG);
  if (j + 4 <= count) {
    conv4x4(x + ((<usize>j) << 2), y, w + <usize>j * rowBytesG);
    j += 4;
  }
  for (; j < count; j++) conv4x1(x + ((<usize>j) << 2), y, w + <usize>j * rowBytesG);
}

// The tiles: rows × 4·vectors of w in registers while the block's positions stream by, each
// adding its patch's contribution into y. Row r of a tile reads the patch at byte offset 4·r.
function conv16x2(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  const w02 = v128.load(w, 32);
  const w03 = v128.load(w, 48);
  const w10 = v128.load(w + 1 * rowBytesG);
  const w11 = v128.load(w + 1 * rowBytesG, 16);
  const w12 = v128.load(w + 1 * rowBytesG, 32);
  const w13 = v128.load(w + 1 * rowBytesG, 48);
  let line = x;
  let out = y;
  for (let row = 0; row < blockRowsG; row++) {
    let p = line;
    line += xLineStepG;
    for (let i = 0; i < outWidthG; i++) {
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
      p += xStepG;
      out += rowBytesG;
    }
  }
}

function conv16x1(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  const w02 = v128.load(w, 32);
  const w03 = v128.load(w, 48);
  let line = x;
  let out = y;
  for (let row = 0; row < blockRowsG; row++) {
    let p = line;
    line += xLineStepG;
    for (let i = 0; i < outWidthG; i++) {
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
      p += xStepG;
      out += rowBytesG;
    }
  }
}

function conv8x4(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  const w10 = v128.load(w + 1 * rowBytesG);
  const w11 = v128.load(w + 1 * rowBytesG, 16);
  const w20 = v128.load(w + 2 * rowBytesG);
  const w21 = v128.load(w + 2 * rowBytesG, 16);
  const w30 = v128.load(w + 3 * rowBytesG);
  const w31 = v128.load(w + 3 * rowBytesG, 16);
  let line = x;
  let out = y;
  for (let row = 0; row < blockRowsG; row++) {
    let p = line;
    line += xLineStepG;
    for (let i = 0; i < outWidthG; i++) {
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
      p += xStepG;
      out += rowBytesG;
    }
  }
}

function conv8x1(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w01 = v128.load(w, 16);
  let line = x;
  let out = y;
  for (let row = 0; row < blockRowsG; row++) {
    let p = line;
    line += xLineStepG;
    for (let i = 0; i < outWidthG; i++) {
      let a0 = v128.load(out);
      let a1 = v128.load(out, 16);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      a1 = f32x4.add(a1, f32x4.mul(s0, w01));
      v128.store(out, a0);
      v128.store(out, a1, 16);
      p += xStepG;
      out += rowBytesG;
    }
  }
}

function conv4x8(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w10 = v128.load(w + 1 * rowBytesG);
  const w20 = v128.load(w + 2 * rowBytesG);
  const w30 = v128.load(w + 3 * rowBytesG);
  const w40 = v128.load(w + 4 * rowBytesG);
  const w50 = v128.load(w + 5 * rowBytesG);
  const w60 = v128.load(w + 6 * rowBytesG);
  const w70 = v128.load(w + 7 * rowBytesG);
  let line = x;
  let out = y;
  for (let row = 0; row < blockRowsG; row++) {
    let p = line;
    line += xLineStepG;
    for (let i = 0; i < outWidthG; i++) {
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
      p += xStepG;
      out += rowBytesG;
    }
  }
}

function conv4x4(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  const w10 = v128.load(w + 1 * rowBytesG);
  const w20 = v128.load(w + 2 * rowBytesG);
  const w30 = v128.load(w + 3 * rowBytesG);
  let line = x;
  let out = y;
  for (let row = 0; row < blockRowsG; row++) {
    let p = line;
    line += xLineStepG;
    for (let i = 0; i < outWidthG; i++) {
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
      p += xStepG;
      out += rowBytesG;
    }
  }
}

function conv4x1(x: usize, y: usize, w: usize): void {
  const w00 = v128.load(w);
  let line = x;
  let out = y;
  for (let row = 0; row < blockRowsG; row++) {
    let p = line;
    line += xLineStepG;
    for (let i = 0; i < outWidthG; i++) {
      let a0 = v128.load(out);
      const s0 = v128.load32_splat(p);
      a0 = f32x4.add(a0, f32x4.mul(s0, w00));
      v128.store(out, a0);
      p += xStepG;
      out += rowBytesG;
    }
  }
}
