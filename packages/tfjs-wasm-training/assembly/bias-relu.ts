/**
 * y[r, c] = max(y[r, c] + bias[c], 0) in place over rows × channels (a conv's bias and ReLU
 * after it), or only the bias when relu is 0. NaN stays NaN, as tfjs's Relu keeps it.
 */
export function biasRelu(y: usize, bias: usize, rows: i32, channels: i32, relu: i32): void {
  const n = rows * channels;
  let start = 0;
  if (16 % channels === 0) {
    // Narrow layers: the bias repeats every 16 values, so walk y flat, 16 at a time.
    start = n & ~15;
    const b0 = pattern(bias, channels, 0);
    const b1 = pattern(bias, channels, 4);
    const b2 = pattern(bias, channels, 8);
    const b3 = pattern(bias, channels, 12);
    const end = y + ((<usize>start) << 2);
    for (let p = y; p < end; p += 64) {
      v128.store(p, activate(f32x4.add(v128.load(p), b0), relu));
      v128.store(p + 16, activate(f32x4.add(v128.load(p + 16), b1), relu));
      v128.store(p + 32, activate(f32x4.add(v128.load(p + 32), b2), relu));
      v128.store(p + 48, activate(f32x4.add(v128.load(p + 48), b3), relu));
    }
  } else if ((channels & 3) === 0) {
    start = n;
    const rowBytes = (<usize>channels) << 2;
    for (let r = 0; r < rows; r += 1) {
      const row = y + <usize>r * rowBytes;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        v128.store(row + c, activate(f32x4.add(v128.load(row + c), v128.load(bias + c)), relu));
      }
    }
  }
  for (let i = start; i < n; i += 1) {
    const at = y + ((<usize>i) << 2);
    let value = load<f32>(at) + load<f32>(bias + ((<usize>(i % channels)) << 2));
    if (relu && value <= 0) value = 0;
    store<f32>(at, value);
  }
}

/**
 * The gradient of the same: dx = dy · step(y) (dx = dy without relu), with step(y) = 1 where
 * y > 0, 0 elsewhere and NaN where y is NaN, as tfjs's Relu gradient; and dbias[c] = Σ_r dx[r, c].
 * y is the forward output, positive exactly where the ReLU's input was.
 */
export function biasReluGrad(
  dy: usize,
  y: usize,
  dx: usize,
  dbias: usize,
  rows: i32,
  channels: i32,
  relu: i32,
): void {
  const n = rows * channels;
  memory.fill(dbias, 0, (<usize>channels) << 2);
  let start = 0;
  if (16 % channels === 0) {
    // Narrow layers: four running sums in registers, each for a fixed set of channels.
    start = n & ~15;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    for (let o: usize = 0; o < (<usize>start) << 2; o += 64) {
      const g0 = gradient(dy + o, y + o, relu);
      const g1 = gradient(dy + o + 16, y + o + 16, relu);
      const g2 = gradient(dy + o + 32, y + o + 32, relu);
      const g3 = gradient(dy + o + 48, y + o + 48, relu);
      v128.store(dx + o, g0);
      v128.store(dx + o + 16, g1);
      v128.store(dx + o + 32, g2);
      v128.store(dx + o + 48, g3);
      s0 = f32x4.add(s0, g0);
      s1 = f32x4.add(s1, g1);
      s2 = f32x4.add(s2, g2);
      s3 = f32x4.add(s3, g3);
    }
    fold(dbias, channels, 0, s0);
    fold(dbias, channels, 4, s1);
    fold(dbias, channels, 8, s2);
    fold(dbias, channels, 12, s3);
  } else if ((channels & 3) === 0) {
    start = n;
    const rowBytes = (<usize>channels) << 2;
    for (let r = 0; r < rows; r += 1) {
      const offset = <usize>r * rowBytes;
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const grad = gradient(dy + offset + c, y + offset + c, relu);
        v128.store(dx + offset + c, grad);
        v128.store(dbias + c, f32x4.add(v128.load(dbias + c), grad));
      }
    }
  }
  for (let i = start; i < n; i += 1) {
    const at = (<usize>i) << 2;
    let grad = load<f32>(dy + at);
    if (relu) {
      const value = load<f32>(y + at);
      grad *= F32.isNaN(value) ? value : value > 0 ? 1 : 0;
    }
    store<f32>(dx + at, grad);
    const sum = dbias + ((<usize>(i % channels)) << 2);
    store<f32>(sum, load<f32>(sum) + grad);
  }
}

/** Lanes ≤ 0 become 0 when relu is set; NaN fails the comparison and is kept. */
function activate(value: v128, relu: i32): v128 {
  return relu ? v128.bitselect(f32x4.splat(0), value, f32x4.le(value, f32x4.splat(0))) : value;
}

/** dy · step(y) for four values (dy alone without relu), as reluGrad computes it. */
function gradient(dy: usize, y: usize, relu: i32): v128 {
  const grad = v128.load(dy);
  if (!relu) return grad;
  const value = v128.load(y);
  let step = v128.bitselect(f32x4.splat(1), f32x4.splat(0), f32x4.gt(value, f32x4.splat(0)));
  step = v128.bitselect(value, step, f32x4.ne(value, value));
  return f32x4.mul(grad, step);
}

/** The bias values of flat positions first … first + 3 (mod channels, which divides 16). */
function pattern(bias: usize, channels: i32, first: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(bias + ((<usize>((first + 0) % channels)) << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(bias + ((<usize>((first + 1) % channels)) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(bias + ((<usize>((first + 2) % channels)) << 2)));
  v = f32x4.replace_lane(v, 3, load<f32>(bias + ((<usize>((first + 3) % channels)) << 2)));
  return v;
}

/** Adds the lanes of a running sum of flat positions first … first + 3 to their channels. */
function fold(dbias: usize, channels: i32, first: i32, sum: v128): void {
  add(dbias, (first + 0) % channels, f32x4.extract_lane(sum, 0));
  add(dbias, (first + 1) % channels, f32x4.extract_lane(sum, 1));
  add(dbias, (first + 2) % channels, f32x4.extract_lane(sum, 2));
  add(dbias, (first + 3) % channels, f32x4.extract_lane(sum, 3));
}

function add(dbias: usize, channel: i32, value: f32): void {
  const at = dbias + ((<usize>channel) << 2);
  store<f32>(at, load<f32>(at) + value);
}
