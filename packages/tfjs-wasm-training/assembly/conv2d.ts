import {
  channelBytes,
  setBlockRows,
  setForwardOutput,
  setGeometry,
  wRowBytes,
} from './conv-geometry';
import {
  gradTile4x1,
  gradTile4x4,
  gradTile4x8,
  gradTile8x1,
  gradTile8x4,
  gradTile16x1,
  gradTile16x2,
} from './conv-tiles-filter-grad';
import {
  forwardTile4x1,
  forwardTile4x4,
  forwardTile4x8,
  forwardTile8x1,
  forwardTile8x4,
  forwardTile16x1,
  forwardTile16x2,
} from './conv-tiles-forward';

/**
 * A 2-d convolution in NHWC, for layers with few channels, where XNNPACK's packed GEMM does
 * poorly:
 *
 *   y[n, oy, ox, co] = Σ_{kh, kw, ci} xp[n, oy·sh + kh, ox·sw + kw, ci] · w[kh, kw, ci, co]
 *
 * where xp is the input with its padding already applied. outChannels must be a multiple of 4.
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
  walk(
    FORWARD,
    xp,
    y,
    w,
    batch,
    paddedHeight,
    paddedWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  );
}

/**
 * The filter gradient of the same convolution:
 *
 *   dw[kh, kw, ci, co] = Σ_{n, oy, ox} xp[n, oy·sh + kh, ox·sw + kw, ci] · dy[n, oy, ox, co]
 *
 * dw is [kh·kw·ci, co], a GEMM whose reduction runs over every output position, so neither
 * operand is ever copied or packed: both stream by a block of dw. outChannels must be a
 * multiple of 4.
 */
export function conv2dFilterGrad(
  xp: usize,
  dy: usize,
  dw: usize,
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
  memory.fill(dw, 0, (<usize>(filterHeight * filterWidth * inChannels * outChannels)) << 2);
  walk(
    FILTER_GRAD,
    xp,
    dy,
    dw,
    batch,
    paddedHeight,
    paddedWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  );
}

const FORWARD = 0;
const FILTER_GRAD = 1;

/**
 * Both kernels walk the output positions (of y, or dy) in blocks of rows; for each block, each
 * chunk of 16, 8 or 4 output channels and each kernel row kh, tiles cover the kw·ci rows of w
 * (or dw) for that kh, which are also contiguous in xp for any one position: a tile reads its
 * rows at constant offsets from one pointer. The forward kernel adds into y, zeroed a block at
 * a time; the gradient adds into dw.
 */
function walk(
  kind: i32,
  xp: usize,
  a: usize,
  w: usize,
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
  const xRowBytes = (<usize>(paddedWidth * inChannels)) << 2;
  setGeometry(
    (<usize>(strideWidth * inChannels)) << 2,
    (<usize>outChannels) << 2,
    <usize>strideHeight * xRowBytes,
    outWidth,
  );
  setForwardOutput(channelBytes, <usize>outWidth * channelBytes, channelBytes);
  const group = filterWidth * inChannels;
  // Output rows per block: enough positions per tile call to hide its set-up, while the block of
  // y or dy (about 4 KiB) stays in L1 across the tiles (4 KiB blocks beat 32 KiB ones by a
  // quarter; docs/performance.md).
  const rowsPerBlock = max(1, min(outHeight, 1024 / (outWidth * outChannels)));
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outHeight; oy += rowsPerBlock) {
      const rows = min(rowsPerBlock, outHeight - oy);
      setBlockRows(rows);
      const xLine = xp + <usize>(n * paddedHeight + oy * strideHeight) * xRowBytes;
      const aBlock = a + <usize>((n * outHeight + oy) * outWidth) * channelBytes;
      if (kind === FORWARD) memory.fill(aBlock, 0, <usize>(rows * outWidth) * channelBytes);
      for (let c = 0; c < outChannels; ) {
        // 16, 8 or 4 channels: 12 left take an 8-wide chunk, then a 4-wide one.
        const left = outChannels - c;
        const tileWidth = left >= 16 ? 16 : left >= 8 ? 8 : 4;
        const aAt = aBlock + ((<usize>c) << 2);
        for (let kh = 0; kh < filterHeight; kh++) {
          const x = xLine + <usize>kh * xRowBytes;
          const wAt = w + <usize>(kh * group) * channelBytes + ((<usize>c) << 2);
          runTiles(kind, tileWidth, x, aAt, wAt, group);
        }
        c += tileWidth;
      }
    }
  }
}

/**
 * The input gradient of the same convolution, at any stride, into dxp (the padded input's
 * shape, zeroed here): every output position adds its dy row times the filter to the patch it
 * read,
 *
 *   dxp[n, oy·sh + kh, ox·sw + kw, ci] += Σ_co dy[n, oy, ox, co] · wt[kh, kw, co, ci]
 *
 * with wt the filter with its channel axes swapped. These are the forward tiles with dy as the
 * streamed operand, wt's rows held in registers, and outputs a stride apart in dxp; patches of
 * neighbouring positions overlap, which is why one thread walks all positions of an image.
 * inChannels must be a multiple of 4.
 */
export function conv2dBackpropInput(
  dy: usize,
  wt: usize,
  dxp: usize,
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
  const pixel = (<usize>inChannels) << 2;
  const dxRowBytes = <usize>paddedWidth * pixel;
  memory.fill(dxp, 0, <usize>(batch * paddedHeight) * dxRowBytes);
  const dyPixel = (<usize>outChannels) << 2;
  setGeometry(dyPixel, dyPixel, <usize>outWidth * dyPixel, outWidth);
  setForwardOutput(<usize>strideWidth * pixel, <usize>strideHeight * dxRowBytes, pixel);
  const rowsPerBlock = max(1, min(outHeight, 1024 / (outWidth * outChannels)));
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outHeight; oy += rowsPerBlock) {
      setBlockRows(min(rowsPerBlock, outHeight - oy));
      const dyBlock = dy + <usize>((n * outHeight + oy) * outWidth) * dyPixel;
      const dxLine = dxp + <usize>(n * paddedHeight + oy * strideHeight) * dxRowBytes;
      for (let c = 0; c < inChannels; ) {
        const left = inChannels - c;
        const tileWidth = left >= 16 ? 16 : left >= 8 ? 8 : 4;
        for (let kh = 0; kh < filterHeight; kh++) {
          for (let kw = 0; kw < filterWidth; kw++) {
            const out = dxLine + <usize>kh * dxRowBytes + <usize>kw * pixel + ((<usize>c) << 2);
            const wAt =
              wt + <usize>((kh * filterWidth + kw) * outChannels) * pixel + ((<usize>c) << 2);
            runTiles(FORWARD, tileWidth, dyBlock, out, wAt, outChannels);
          }
        }
        c += tileWidth;
      }
    }
  }
}

/**
 * Covers `count` contiguous rows of w (and of the patch from x) with tiles `width` channels
 * wide: as many rows per tile as the registers hold, then smaller tiles for what is left.
 */
function runTiles(kind: i32, width: i32, x: usize, a: usize, w: usize, count: i32): void {
  const most = width === 16 ? 2 : width === 8 ? 4 : 8;
  let j = 0;
  for (; j + most <= count; j += most) tile(kind, width, most, x, a, w, j);
  if (width === 4 && j + 4 <= count) {
    tile(kind, 4, 4, x, a, w, j);
    j += 4;
  }
  for (; j < count; j++) tile(kind, width, 1, x, a, w, j);
}

/** One tile of `rows` rows from row j, `width` channels wide. */
function tile(kind: i32, width: i32, rows: i32, x: usize, a: usize, w: usize, j: i32): void {
  const at = x + ((<usize>j) << 2);
  const wAt = w + <usize>j * (kind === FORWARD ? wRowBytes : channelBytes);
  if (kind === FORWARD) {
    if (width === 16) {
      if (rows === 2) forwardTile16x2(at, a, wAt);
      else forwardTile16x1(at, a, wAt);
    } else if (width === 8) {
      if (rows === 4) forwardTile8x4(at, a, wAt);
      else forwardTile8x1(at, a, wAt);
    } else if (rows === 8) forwardTile4x8(at, a, wAt);
    else if (rows === 4) forwardTile4x4(at, a, wAt);
    else forwardTile4x1(at, a, wAt);
  } else if (width === 16) {
    if (rows === 2) gradTile16x2(at, a, wAt);
    else gradTile16x1(at, a, wAt);
  } else if (width === 8) {
    if (rows === 4) gradTile8x4(at, a, wAt);
    else gradTile8x1(at, a, wAt);
  } else if (rows === 8) gradTile4x8(at, a, wAt);
  else if (rows === 4) gradTile4x4(at, a, wAt);
  else gradTile4x1(at, a, wAt);
}
