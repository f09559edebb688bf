/**
 * out = x [batch, height, width, channels] with zero rows above and below each image and zero
 * columns left and right of each row. Row copies and fills instead of tfjs-wasm's PadV2, which
 * visits every value (over 10× slower; docs/performance.md).
 */
export function padNhwc(
  x: usize,
  out: usize,
  batch: i32,
  height: i32,
  width: i32,
  channels: i32,
  top: i32,
  bottom: i32,
  left: i32,
  right: i32,
): void {
  const pixel = (<usize>channels) << 2;
  const rowBytes = <usize>width * pixel;
  const leftBytes = <usize>left * pixel;
  const rightBytes = <usize>right * pixel;
  const outRowBytes = leftBytes + rowBytes + rightBytes;
  let from = x;
  let to = out;
  for (let n = 0; n < batch; n++) {
    memory.fill(to, 0, <usize>top * outRowBytes);
    to += <usize>top * outRowBytes;
    for (let r = 0; r < height; r++) {
      memory.fill(to, 0, leftBytes);
      memory.copy(to + leftBytes, from, rowBytes);
      memory.fill(to + leftBytes + rowBytes, 0, rightBytes);
      from += rowBytes;
      to += outRowBytes;
    }
    memory.fill(to, 0, <usize>bottom * outRowBytes);
    to += <usize>bottom * outRowBytes;
  }
}

/**
 * out [batch, height, width, channels] = the window of xp [batch, paddedHeight, paddedWidth,
 * channels] starting at row top and column left: padNhwc's inverse, by row copies.
 */
export function cropNhwc(
  xp: usize,
  out: usize,
  batch: i32,
  paddedHeight: i32,
  paddedWidth: i32,
  channels: i32,
  height: i32,
  width: i32,
  top: i32,
  left: i32,
): void {
  const pixel = (<usize>channels) << 2;
  const rowBytes = <usize>width * pixel;
  const paddedRowBytes = <usize>paddedWidth * pixel;
  let to = out;
  for (let n = 0; n < batch; n++) {
    let from = xp + <usize>(n * paddedHeight + top) * paddedRowBytes + <usize>left * pixel;
    for (let r = 0; r < height; r++) {
      memory.copy(to, from, rowBytes);
      from += paddedRowBytes;
      to += rowBytes;
    }
  }
}

/**
 * rows runs of rowBytes bytes from src (each srcStride after the last) to dst (each dstStride
 * after the last): one input's part of a concatenation, or one output of a split, along an
 * inner axis.
 */
export function copyRuns(
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  rowBytes: usize,
  rows: i32,
): void {
  let from = src;
  let to = dst;
  for (let r = 0; r < rows; r++) {
    memory.copy(to, from, rowBytes);
    from += srcStride;
    to += dstStride;
  }
}
