import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, transpose } from './backend-calls.js';
import { WasmKernelError } from './errors.js';

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
    if (!transposeA && !transposeB) return run(args as never) as TensorInfo;
    const a = transposeA ? swapInner(backend, inputs.a) : inputs.a;
    const b = transposeB ? swapInner(backend, inputs.b) : inputs.b;
    try {
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
