/**
 * ReLU's input gradient, dx = dy · step(x) with step(x) = 1 where x > 0, 0 elsewhere and NaN
 * where x is NaN: tfjs's own gradient (a Step and a Multiply) in one pass, with the same values,
 * signed zeros included.
 */
export function reluGrad(dy: usize, x: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const vectorEnd = (<usize>(n & ~3)) << 2;
  let i: usize = 0;
  for (; i < vectorEnd; i += 16) {
    const value = v128.load(x + i);
    let step = v128.bitselect(one, zero, f32x4.gt(value, zero));
    step = v128.bitselect(value, step, f32x4.ne(value, value));
    v128.store(dx + i, f32x4.mul(v128.load(dy + i), step));
  }
  const end = (<usize>n) << 2;
  for (; i < end; i += 4) {
    const value = load<f32>(x + i);
    const step: f32 = F32.isNaN(value) ? value : value > 0 ? 1 : 0;
    store<f32>(dx + i, load<f32>(dy + i) * step);
  }
}
