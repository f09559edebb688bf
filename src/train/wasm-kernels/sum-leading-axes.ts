import {
  backend_util,
  type KernelConfig,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';

type KernelFunc = KernelConfig['kernelFunc'];

/** Below this many elements the built-in's transpose costs too little to matter. */
const MIN_ELEMENTS = 4096;
/** Narrower rows are summed column by column: one tight loop per column beats a short inner loop. */
const NARROW_ROWS = 16;

/**
 * A sum over the leading axes (a bias gradient: dy summed over batch, height and width) makes
 * tfjs-wasm transpose the whole tensor so the reduced axes come last, then sum. Summing the
 * columns of x viewed as [outer, inner] in place needs no copy. (A GEMM with a row of ones looks
 * cheaper but is not: XNNPACK repacks its weight operand, here a fresh dy, on every call.)
 * Float64 accumulators keep the result at least as accurate as the built-in's. Other
 * reductions keep the built-in kernel.
 */
export function makeSumConfig(builtIn: KernelConfig | undefined): KernelConfig {
  if (builtIn === undefined) {
    throw new WasmKernelError('tfjs-backend-wasm has no Sum kernel to wrap');
  }
  const run = builtIn.kernelFunc;
  function sum(args: {
    inputs: { x: TensorInfo };
    attrs: SumAttrs;
    backend: BackendWasm;
  }): TensorInfo {
    const { inputs, attrs, backend } = args;
    const { x } = inputs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(attrs.axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((axis, i) => axis === i);
    const size = util.sizeFromShape(x.shape);
    if (!leading || x.dtype !== 'float32' || size < MIN_ELEMENTS) {
      return run(args as never) as TensorInfo;
    }
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = backend.makeOutput(
      attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape,
      'float32',
    );
    // Views after the allocation: growing the heap would detach earlier ones.
    const sums = backend.typedArrayFromHeap(out) as Float32Array;
    const values = backend.typedArrayFromHeap(x) as Float32Array;
    sumColumns(values, size / sums.length, sums.length, sums);
    return out;
  }
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: sum as unknown as KernelFunc,
  };
}

/** out[j] = Σ_i values[i·inner + j]. */
function sumColumns(values: Float32Array, outer: number, inner: number, out: Float32Array): void {
  const size = outer * inner;
  if (inner < NARROW_ROWS) {
    for (let j = 0; j < inner; j += 1) {
      let total = 0;
      for (let k = j; k < size; k += inner) total += values[k] as number;
      out[j] = total;
    }
    return;
  }
  const totals = new Float64Array(inner);
  for (let row = 0; row < size; row += inner) {
    for (let j = 0; j < inner; j += 1)
      totals[j] = (totals[j] as number) + (values[row + j] as number);
  }
  out.set(totals);
}
