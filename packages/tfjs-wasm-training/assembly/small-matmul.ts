/**
 * c = a · b (+ bias) for small row-major matrices: a is m × k, b is k × n, c is m × n, bias n
 * values or none (0). Each row of c is built in c itself, which stays in cache, from the rows
 * of b scaled by a's values in turn: four columns per instruction, the last n % 4 one at a time.
 * For the products too small to be worth a thread pool (a classifier's last layer).
 */
export function smallMatMul(
  a: usize,
  b: usize,
  c: usize,
  bias: usize,
  m: i32,
  k: i32,
  n: i32,
): void {
  if (n <= 16) {
    narrow(a, b, c, bias, m, k, n);
    return;
  }
  const rowBytes = (<usize>n) << 2;
  const vectorBytes = (<usize>(n & ~3)) << 2;
  for (let i = 0; i < m; i += 1) {
    const row = c + <usize>i * rowBytes;
    if (bias) memory.copy(row, bias, rowBytes);
    else memory.fill(row, 0, rowBytes);
    const aRow = a + ((<usize>(i * k)) << 2);
    for (let p = 0; p < k; p += 1) {
      const scalar = load<f32>(aRow + ((<usize>p) << 2));
      const factor = f32x4.splat(scalar);
      const bRow = b + <usize>p * rowBytes;
      let j: usize = 0;
      for (; j < vectorBytes; j += 16) {
        v128.store(row + j, f32x4.add(v128.load(row + j), f32x4.mul(factor, v128.load(bRow + j))));
      }
      for (; j < rowBytes; j += 4) {
        store<f32>(row + j, load<f32>(row + j) + scalar * load<f32>(bRow + j));
      }
    }
  }
}

/**
 * n ≤ 16 (a classifier's 10 outputs): the row of c stays in registers through the whole sum,
 * up to four vectors and three single columns.
 */
function narrow(a: usize, b: usize, c: usize, bias: usize, m: i32, k: i32, n: i32): void {
  const rowBytes = (<usize>n) << 2;
  const vectors = n >> 2;
  const tail = n & 3;
  const tailAt = (<usize>(n & ~3)) << 2;
  for (let i = 0; i < m; i += 1) {
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    let t0: f32 = 0;
    let t1: f32 = 0;
    let t2: f32 = 0;
    const aRow = a + ((<usize>(i * k)) << 2);
    for (let p = 0; p < k; p += 1) {
      const scalar = load<f32>(aRow + ((<usize>p) << 2));
      const factor = f32x4.splat(scalar);
      const bRow = b + <usize>p * rowBytes;
      if (vectors > 0) s0 = f32x4.add(s0, f32x4.mul(factor, v128.load(bRow)));
      if (vectors > 1) s1 = f32x4.add(s1, f32x4.mul(factor, v128.load(bRow + 16)));
      if (vectors > 2) s2 = f32x4.add(s2, f32x4.mul(factor, v128.load(bRow + 32)));
      if (vectors > 3) s3 = f32x4.add(s3, f32x4.mul(factor, v128.load(bRow + 48)));
      if (tail > 0) t0 += scalar * load<f32>(bRow + tailAt);
      if (tail > 1) t1 += scalar * load<f32>(bRow + tailAt + 4);
      if (tail > 2) t2 += scalar * load<f32>(bRow + tailAt + 8);
    }
    const row = c + <usize>i * rowBytes;
    if (bias) {
      if (vectors > 0) s0 = f32x4.add(v128.load(bias), s0);
      if (vectors > 1) s1 = f32x4.add(v128.load(bias + 16), s1);
      if (vectors > 2) s2 = f32x4.add(v128.load(bias + 32), s2);
      if (vectors > 3) s3 = f32x4.add(v128.load(bias + 48), s3);
      if (tail > 0) t0 = load<f32>(bias + tailAt) + t0;
      if (tail > 1) t1 = load<f32>(bias + tailAt + 4) + t1;
      if (tail > 2) t2 = load<f32>(bias + tailAt + 8) + t2;
    }
    if (vectors > 0) v128.store(row, s0);
    if (vectors > 1) v128.store(row + 16, s1);
    if (vectors > 2) v128.store(row + 32, s2);
    if (vectors > 3) v128.store(row + 48, s3);
    if (tail > 0) store<f32>(row + tailAt, t0);
    if (tail > 1) store<f32>(row + tailAt + 4, t1);
    if (tail > 2) store<f32>(row + tailAt + 8, t2);
  }
}
