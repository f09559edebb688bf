import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, transpose } from './backend-calls.js';
import { WasmKernelError } from './errors.js';
import { heapOffset, simdKernels } from './simd-module.js';

type KernelFunc = KernelConfig['kernelFunc'];
type MatMulArgs = {
  inputs: { a: TensorInfo; b: TensorInfo } & Record<string, TensorInfo>;
  attrs: { transposeA: boolean; transposeB: boolean } & Record<string, unknown>;
  backend: BackendWasm;
};

/** Swaps the last two axes. */
function swapInner(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
}

/**
 * tfjs-wasm's matmul reads a transposed operand with strided loads, several times slower than
 * transposing it first (figures in docs/performance.md). Every
 * dense layer's backward pass asks for transposed operands, so transpose explicitly and call
 * the built-in kernel untransposed.
 */
export function makeUntransposedMatMulConfig(
  kernelName: 'BatchMatMul' | '_FusedMatMul',
  builtIn: KernelConfig | undefined,
): KernelConfig {
  if (builtIn === undefined) {
    throw new WasmKernelError(`tfjs-backend-wasm has no ${kernelName} kernel to wrap`);
  }
  const run = builtIn.kernelFunc;
  function matMul(args: MatMulArgs): TensorInfo {
    const { inputs, attrs, backend } = args;
    const { transposeA, transposeB } = attrs;
    const small = smallProduct(args);
    if (!transposeA && !transposeB && small === undefined) return run(args as never) as TensorInfo;
    const a = transposeA ? swapInner(backend, inputs.a) : inputs.a;
    const b = transposeB ? swapInner(backend, inputs.b) : inputs.b;
    try {
      if (small !== undefined) return bySmallMatMul(backend, a, b, inputs.bias, small);
      return run({
        ...args,
        inputs: { ...inputs, a, b },
        attrs: { ...attrs, transposeA: false, transposeB: false },
      } as never) as TensorInfo;
    } finally {
      if (a !== inputs.a) free(backend, a);
      if (b !== inputs.b) free(backend, b);
    }
  }
  return {
    kernelName,
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: matMul as unknown as KernelFunc,
  };
}

/** Multiply-adds up to which a product runs on the calling thread, on the SIMD kernel. */
const SMALL_MAX_MACS = 2 ** 19;

interface SmallProduct {
  batch: number;
  m: number;
  k: number;
  n: number;
  outShape: number[];
}

/**
 * The geometry of a product small enough for the SIMD kernel on the calling thread: XNNPACK's
 * GEMM splits even a classifier's 64 × 512 × 10 over the thread pool, whose wake-up costs more
 * than the product. Float32, the same batch dimensions on both sides, and for _FusedMatMul at
 * most a bias of n values (no activation); anything else keeps the built-in kernel.
 */
function smallProduct(args: MatMulArgs): SmallProduct | undefined {
  const { inputs, attrs, backend } = args;
  const { a, b, bias } = inputs;
  const rank = a.shape.length;
  if (rank < 2 || b.shape.length !== rank || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return undefined;
  }
  const leading = a.shape.slice(0, -2);
  if (leading.some((size, axis) => size !== b.shape[axis])) return undefined;
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = attrs.transposeA ? [a1, a0] : [a0, a1];
  const [k2, n] = attrs.transposeB ? [b1, b0] : [b0, b1];
  const batch = leading.reduce((product, size) => product * size, 1);
  if (k !== k2 || batch * m * k * n > SMALL_MAX_MACS || batch * m * k * n === 0) return undefined;
  const activation = attrs.activation as string | undefined;
  if (activation !== undefined && activation !== 'linear') return undefined;
  if (inputs.preluActivationWeights !== undefined) return undefined;
  if (bias !== undefined && (bias.dtype !== 'float32' || sizeOf(bias.shape) !== n)) {
    return undefined;
  }
  if (simdKernels(backend) === null) return undefined;
  return { batch, m, k, n, outShape: [...leading, m, n] };
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** a and b untransposed; one SIMD call per matrix of the batch. */
function bySmallMatMul(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  bias: TensorInfo | undefined,
  { batch, m, k, n, outShape }: SmallProduct,
): TensorInfo {
  const kernels = simdKernels(backend);
  if (kernels === null) throw new WasmKernelError('the SIMD kernels are not available');
  const out = backend.makeOutput(outShape, 'float32');
  const [aAt, bAt, outAt] = [
    heapOffset(backend, a),
    heapOffset(backend, b),
    heapOffset(backend, out),
  ];
  const biasAt = bias === undefined ? 0 : heapOffset(backend, bias);
  for (let i = 0; i < batch; i += 1) {
    kernels.smallMatMul(
      aAt + i * m * k * 4,
      bAt + i * k * n * 4,
      outAt + i * m * n * 4,
      biasAt,
      m,
      k,
      n,
    );
  }
  return out;
}
