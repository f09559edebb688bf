// The gradients of a depthwise convolution with channel multiplier 1 (groups == channels), on
// the padded input, four channels per instruction. channels must be a multiple of 4.

/**
 * dw[kh, kw, c] = Σ_{n, oy, ox} xp[n, oy·sh + kh, ox·sw + kw, c] · dy[n, oy, ox, c]: for each
 * tap and 4 channels, one accumulator over every position.
 */
export function depthwiseFilterGrad(
  xp: usize,
  dy: usize,
  dw: usize,
  batch: i32,
  paddedHeight: i32,
  paddedWidth: i32,
  channels: i32,
  outHeight: i32,
  outWidth: i32,
  filterHeight: i32,
  filterWidth: i32,
  strideHeight: i32,
  strideWidth: i32,
): void {
  const pixel = (<usize>channels) << 2;
  const xRow = <usize>paddedWidth * pixel;
  const xStep = <usize>strideWidth * pixel;
  const xLine = <usize>strideHeight * xRow;
  memory.fill(dw, 0, <usize>(filterHeight * filterWidth) * pixel);
  for (let n = 0; n < batch; n++) {
    const xImage = xp + <usize>(n * paddedHeight) * xRow;
    const dyImage = dy + <usize>(n * outHeight * outWidth) * pixel;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const tap = dw + <usize>(kh * filterWidth + kw) * pixel;
        const xTap = xImage + <usize>kh * xRow + <usize>kw * pixel;
        for (let c: usize = 0; c < pixel; c += 16) {
          let acc = v128.load(tap + c);
          let line = xTap + c;
          let g = dyImage + c;
          for (let oy = 0; oy < outHeight; oy++) {
            let p = line;
            for (let ox = 0; ox < outWidth; ox++) {
              acc = f32x4.add(acc, f32x4.mul(v128.load(p), v128.load(g)));
              p += xStep;
              g += pixel;
            }
            line += xLine;
          }
          v128.store(tap + c, acc);
        }
      }
    }
  }
}

/**
 * dxp[n, oy·sh + kh, ox·sw + kw, c] += w[kh, kw, c] · dy[n, oy, ox, c], into dxp (the padded
 * input's shape), zeroed here.
 */
export function depthwiseInputGrad(
  dy: usize,
  w: usize,
  dxp: usize,
  batch: i32,
  paddedHeight: i32,
  paddedWidth: i32,
  channels: i32,
  outHeight: i32,
  outWidth: i32,
  filterHeight: i32,
  filterWidth: i32,
  strideHeight: i32,
  strideWidth: i32,
): void {
  const pixel = (<usize>channels) << 2;
  const xRow = <usize>paddedWidth * pixel;
  memory.fill(dxp, 0, <usize>(batch * paddedHeight) * xRow);
  let g = dy;
  for (let n = 0; n < batch; n++) {
    const dxImage = dxp + <usize>(n * paddedHeight) * xRow;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const patch =
          dxImage + <usize>(oy * strideHeight) * xRow + <usize>(ox * strideWidth) * pixel;
        for (let kh = 0; kh < filterHeight; kh++) {
          for (let kw = 0; kw < filterWidth; kw++) {
            const out = patch + <usize>kh * xRow + <usize>kw * pixel;
            const tap = w + <usize>(kh * filterWidth + kw) * pixel;
            for (let c: usize = 0; c < pixel; c += 16) {
              const sum = f32x4.mul(v128.load(tap + c), v128.load(g + c));
              v128.store(out + c, f32x4.add(v128.load(out + c), sum));
            }
          }
        }
        g += pixel;
      }
    }
  }
}
