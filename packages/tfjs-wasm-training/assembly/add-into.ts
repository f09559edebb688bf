/** dst[i] += src[i] for n floats: sums the partial results of kernels split across threads. */
export function addInto(dst: usize, src: usize, n: i32): void {
  const vectorEnd = (<usize>(n & ~3)) << 2;
  let i: usize = 0;
  for (; i < vectorEnd; i += 16) {
    v128.store(dst + i, f32x4.add(v128.load(dst + i), v128.load(src + i)));
  }
  const end = (<usize>n) << 2;
  for (; i < end; i += 4) store<f32>(dst + i, load<f32>(dst + i) + load<f32>(src + i));
}
