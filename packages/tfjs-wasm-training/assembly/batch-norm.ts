// BatchNorm in training mode over x as rows × channels (NHWC's N·H·W rows, or a batch of
// feature vectors): the batch statistics, the normalized output and the full gradient, each in a
// few SIMD passes instead of tfjs's dozen tensor ops (moments, batchNorm, and their gradients).
// Channel sums are taken per block of rows in float32, and the block sums added in float64, so
// the statistics of large batches keep their precision.

/** Rows per float32 block sum. */
const BLOCK_ROWS = 32;

/**
 * total[c] (float64) = Σ_rows f(x[r, c]) where f is x − shift[c] (shift 0 for a plain sum) and
 * squared when `square`: blockSum holds channels float32s, total channels float64s.
 */
function channelSums(
  x: usize,
  shift: usize,
  square: bool,
  rows: i32,
  channels: i32,
  blockSum: usize,
  total: usize,
): void {
  const rowBytes = (<usize>channels) << 2;
  const vectorBytes = (<usize>(channels & ~3)) << 2;
  memory.fill(total, 0, (<usize>channels) << 3);
  for (let first = 0; first < rows; first += BLOCK_ROWS) {
    const last = min(rows, first + BLOCK_ROWS);
    memory.fill(blockSum, 0, rowBytes);
    let row = x + <usize>first * rowBytes;
    for (let r = first; r < last; r++) {
      let c: usize = 0;
      for (; c < vectorBytes; c += 16) {
        let v = v128.load(row + c);
        if (shift !== 0) v = f32x4.sub(v, v128.load(shift + c));
        if (square) v = f32x4.mul(v, v);
        v128.store(blockSum + c, f32x4.add(v128.load(blockSum + c), v));
      }
      for (; c < rowBytes; c += 4) {
        let v = load<f32>(row + c);
        if (shift !== 0) v -= load<f32>(shift + c);
        if (square) v *= v;
        store<f32>(blockSum + c, load<f32>(blockSum + c) + v);
      }
      row += rowBytes;
    }
    for (let c = 0; c < channels; c++) {
      const at = total + ((<usize>c) << 3);
      store<f64>(at, load<f64>(at) + <f64>load<f32>(blockSum + ((<usize>c) << 2)));
    }
  }
}

/**
 * mean[c] = Σ x / rows; variance[c] = Σ (x − mean)² / rows (biased, as PyTorch normalizes);
 * y = (x − mean) · (gamma / √(variance + eps)) + beta. scratch: 3·channels floats, 8-aligned.
 */
export function batchNormForward(
  x: usize,
  gamma: usize,
  beta: usize,
  y: usize,
  mean: usize,
  variance: usize,
  rows: i32,
  channels: i32,
  epsilon: f32,
  scratch: usize,
): void {
  const total = scratch;
  const blockSum = scratch + ((<usize>channels) << 3);
  const count = <f64>rows;
  channelSums(x, 0, false, rows, channels, blockSum, total);
  for (let c = 0; c < channels; c++) {
    store<f32>(mean + ((<usize>c) << 2), <f32>(load<f64>(total + ((<usize>c) << 3)) / count));
  }
  channelSums(x, mean, true, rows, channels, blockSum, total);
  // blockSum now holds each channel's scale, gamma / √(variance + eps).
  for (let c = 0; c < channels; c++) {
    const v = <f32>(load<f64>(total + ((<usize>c) << 3)) / count);
    store<f32>(variance + ((<usize>c) << 2), v);
    store<f32>(
      blockSum + ((<usize>c) << 2),
      load<f32>(gamma + ((<usize>c) << 2)) / Mathf.sqrt(v + epsilon),
    );
  }
  affine(x, mean, blockSum, beta, y, rows, channels);
}

/** out[r, c] = (x[r, c] − shift[c]) · scale[c] + offset[c]. */
function affine(
  x: usize,
  shift: usize,
  scale: usize,
  offset: usize,
  out: usize,
  rows: i32,
  channels: i32,
): void {
  const rowBytes = (<usize>channels) << 2;
  const vectorBytes = (<usize>(channels & ~3)) << 2;
  let from = x;
  let to = out;
  for (let r = 0; r < rows; r++) {
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) {
      const centered = f32x4.sub(v128.load(from + c), v128.load(shift + c));
      v128.store(
        to + c,
        f32x4.add(f32x4.mul(centered, v128.load(scale + c)), v128.load(offset + c)),
      );
    }
    for (; c < rowBytes; c += 4) {
      store<f32>(
        to + c,
        (load<f32>(from + c) - load<f32>(shift + c)) * load<f32>(scale + c) + load<f32>(offset + c),
      );
    }
    from += rowBytes;
    to += rowBytes;
  }
}

/**
 * The gradient of batchNormForward's y with respect to x, gamma and beta (through the batch
 * statistics too), with xhat = (x − mean)·invStd, invStd = 1/√(variance + eps), M = rows:
 *
 *   dbeta = Σ dy;  dgamma = Σ dy·xhat
 *   dx = gamma·invStd · (dy − dbeta/M − xhat·dgamma/M)
 *
 * scratch: 9·channels floats, 8-aligned.
 */
export function batchNormBackward(
  dy: usize,
  x: usize,
  gamma: usize,
  mean: usize,
  variance: usize,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
  rows: i32,
  channels: i32,
  epsilon: f32,
  scratch: usize,
): void {
  const rowBytes = (<usize>channels) << 2;
  const vectorBytes = (<usize>(channels & ~3)) << 2;
  const totalDy = scratch;
  const totalDyX = scratch + ((<usize>channels) << 3);
  const blockDy = scratch + ((<usize>channels) << 4);
  const blockDyX = blockDy + rowBytes;
  const a = blockDyX + rowBytes;
  const b = a + rowBytes;
  const c0 = b + rowBytes;
  memory.fill(totalDy, 0, (<usize>channels) << 4);
  for (let first = 0; first < rows; first += BLOCK_ROWS) {
    const last = min(rows, first + BLOCK_ROWS);
    memory.fill(blockDy, 0, rowBytes << 1);
    let offset = <usize>first * rowBytes;
    for (let r = first; r < last; r++) {
      const g = dy + offset;
      const v = x + offset;
      let c: usize = 0;
      for (; c < vectorBytes; c += 16) {
        const grad = v128.load(g + c);
        const centered = f32x4.sub(v128.load(v + c), v128.load(mean + c));
        v128.store(blockDy + c, f32x4.add(v128.load(blockDy + c), grad));
        v128.store(blockDyX + c, f32x4.add(v128.load(blockDyX + c), f32x4.mul(grad, centered)));
      }
      for (; c < rowBytes; c += 4) {
        const grad = load<f32>(g + c);
        const centered = load<f32>(v + c) - load<f32>(mean + c);
        store<f32>(blockDy + c, load<f32>(blockDy + c) + grad);
        store<f32>(blockDyX + c, load<f32>(blockDyX + c) + grad * centered);
      }
      offset += rowBytes;
    }
    for (let c = 0; c < channels; c++) {
      const at = (<usize>c) << 3;
      const from = (<usize>c) << 2;
      store<f64>(totalDy + at, load<f64>(totalDy + at) + <f64>load<f32>(blockDy + from));
      store<f64>(totalDyX + at, load<f64>(totalDyX + at) + <f64>load<f32>(blockDyX + from));
    }
  }
  const count = <f64>rows;
  for (let c = 0; c < channels; c++) {
    const at = (<usize>c) << 3;
    const from = (<usize>c) << 2;
    const invStd = 1.0 / Math.sqrt(<f64>load<f32>(variance + from) + <f64>epsilon);
    const sumDy = load<f64>(totalDy + at);
    const sumDyXhat = load<f64>(totalDyX + at) * invStd;
    store<f32>(dbeta + from, <f32>sumDy);
    store<f32>(dgamma + from, <f32>sumDyXhat);
    // dx = a·dy + b·(x − mean) + c0
    const scale = <f64>load<f32>(gamma + from) * invStd;
    store<f32>(a + from, <f32>scale);
    store<f32>(b + from, <f32>((-scale * invStd * sumDyXhat) / count));
    store<f32>(c0 + from, <f32>((-scale * sumDy) / count));
  }
  let offset: usize = 0;
  for (let r = 0; r < rows; r++) {
    const g = dy + offset;
    const v = x + offset;
    const out = dx + offset;
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) {
      const centered = f32x4.sub(v128.load(v + c), v128.load(mean + c));
      const scaled = f32x4.add(
        f32x4.mul(v128.load(g + c), v128.load(a + c)),
        f32x4.mul(centered, v128.load(b + c)),
      );
      v128.store(out + c, f32x4.add(scaled, v128.load(c0 + c)));
    }
    for (; c < rowBytes; c += 4) {
      const centered = load<f32>(v + c) - load<f32>(mean + c);
      store<f32>(
        out + c,
        load<f32>(g + c) * load<f32>(a + c) + centered * load<f32>(b + c) + load<f32>(c0 + c),
      );
    }
    offset += rowBytes;
  }
}
