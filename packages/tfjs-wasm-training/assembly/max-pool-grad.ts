/**
 * The gradient of MaxPool2d(2) (2×2 windows, stride 2, no padding) in NHWC, 4 channels at a
 * time: each window's gradient goes to its maximum, where a later value wins only if it is
 * strictly greater or NaN (the first maximum, as PyTorch routes it). Windows tile the input, so
 * each dx value is written exactly once; rows and columns past the last window are zeroed.
 * channels must be a multiple of 4.
 */
export function maxPool2x2Grad(
  x: usize,
  dy: usize,
  dx: usize,
  batch: i32,
  inHeight: i32,
  inWidth: i32,
  channels: i32,
  outHeight: i32,
  outWidth: i32,
): void {
  const channelBytes = (<usize>channels) << 2;
  const rowBytes = <usize>inWidth * channelBytes;
  if (inHeight !== 2 * outHeight || inWidth !== 2 * outWidth) {
    memory.fill(dx, 0, <usize>(batch * inHeight) * rowBytes);
  }
  let g = dy;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const rowOffset = <usize>(n * inHeight + 2 * oh) * rowBytes;
      let top = x + rowOffset;
      let dxTop = dx + rowOffset;
      for (let ow = 0; ow < outWidth; ow++) {
        for (let c: usize = 0; c < channelBytes; c += 16) {
          const topLeft = top + c;
          const bottomLeft = topLeft + rowBytes;
          const v0 = v128.load(topLeft);
          const v1 = v128.load(topLeft + channelBytes);
          const v2 = v128.load(bottomLeft);
          const v3 = v128.load(bottomLeft + channelBytes);
          const wins1 = takesOver(v1, v0);
          let best = v128.bitselect(v1, v0, wins1);
          const wins2 = takesOver(v2, best);
          best = v128.bitselect(v2, best, wins2);
          const wins3 = takesOver(v3, best);
          const later2 = v128.or(wins2, wins3);
          const later1 = v128.or(wins1, later2);
          const grad = v128.load(g);
          const dxTopLeft = dxTop + c;
          const dxBottomLeft = dxTopLeft + rowBytes;
          v128.store(dxTopLeft, v128.andnot(grad, later1));
          v128.store(dxTopLeft + channelBytes, v128.and(grad, v128.andnot(wins1, later2)));
          v128.store(dxBottomLeft, v128.and(grad, v128.andnot(wins2, wins3)));
          v128.store(dxBottomLeft + channelBytes, v128.and(grad, wins3));
          g += 16;
        }
        top += 2 * channelBytes;
        dxTop += 2 * channelBytes;
      }
    }
  }
}

/**
 * MaxPool2d(2) itself (2×2 windows, stride 2, no padding) in NHWC, 4 channels at a time, with
 * the gradient's rule: a later value replaces the maximum if it is strictly greater or NaN, so
 * a window holding NaN gives NaN. channels must be a multiple of 4.
 */
export function maxPool2x2(
  x: usize,
  y: usize,
  batch: i32,
  inHeight: i32,
  inWidth: i32,
  channels: i32,
  outHeight: i32,
  outWidth: i32,
): void {
  const channelBytes = (<usize>channels) << 2;
  const rowBytes = <usize>inWidth * channelBytes;
  let out = y;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      let top = x + <usize>(n * inHeight + 2 * oh) * rowBytes;
      for (let ow = 0; ow < outWidth; ow++) {
        for (let c: usize = 0; c < channelBytes; c += 16) {
          const topLeft = top + c;
          const bottomLeft = topLeft + rowBytes;
          let best = v128.load(topLeft);
          const v1 = v128.load(topLeft + channelBytes);
          best = v128.bitselect(v1, best, takesOver(v1, best));
          const v2 = v128.load(bottomLeft);
          best = v128.bitselect(v2, best, takesOver(v2, best));
          const v3 = v128.load(bottomLeft + channelBytes);
          best = v128.bitselect(v3, best, takesOver(v3, best));
          v128.store(out, best);
          out += 16;
        }
        top += 2 * channelBytes;
      }
    }
  }
}

/** Lanes where v takes over from best as the maximum: strictly greater, or NaN (PyTorch's rule). */
function takesOver(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
}
