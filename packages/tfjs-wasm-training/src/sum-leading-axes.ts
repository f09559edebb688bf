import {
  backend_util,
  type KernelConfig,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, free } from './backend-calls.js';
import { WasmKernelError } from './errors.js';

type KernelFunc = KernelConfig['kernelFunc'];

/** Below this many elements the built-in's transpose costs too little to matter. */
const MIN_ELEMENTS = 4096;
/** Narrower rows are summed column by column: one tight loop per column beats a short inner loop. */
const NARROW_ROWS = 16;

/**
 * A sum over the leading axes (a bias gradient: dy summed over batch, height and width) makes
 * tfjs-wasm transpose the whole tensor so the reduced axes come last, then sum. Viewing x as
 * [outer, inner] in place needs no copy: XNNPACK's average pooling sums it in windows of rows
 * where `outer` has a power-of-two factor, and a float64 column loop where it has none.
 * (A GEMM with a row of ones looks cheap but is not: XNNPACK repacks its weight operand, here a
 * fresh dy, on every call.) Each window is summed in float32 as the built-in does, the windows
 * in float64, so the result is at least as accurate as the built-in's. Other reductions keep
 * the built-in kernel.
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
    const inner = util.sizeFromShape(outShape);
    const outer = size / inner;
    const window = largestPowerOfTwoDivisor(outer, MAX_WINDOW);
    if (window >= MIN_WINDOW) {
      sumByAveragePooling(backend, x, out, outer, inner, window);
      return out;
    }
    // Views after the allocation: growing the heap would detach earlier ones.
    const sums = backend.typedArrayFromHeap(out) as Float32Array;
    const values = backend.typedArrayFromHeap(x) as Float32Array;
    sumColumns(values, outer, inner, sums);
    return out;
  }
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: sum as unknown as KernelFunc,
  };
}

/** Windows of rows averaged by XNNPACK: powers of two, so the scale back to sums is exact. */
const MIN_WINDOW = 16;
const MAX_WINDOW = 1024;

function largestPowerOfTwoDivisor(n: number, limit: number): number {
  let d = 1;
  while (d * 2 <= limit && n % (d * 2) === 0) d *= 2;
  return d;
}

/**
 * XNNPACK's average pooling sums channels-last data with SIMD, far faster than the loop below
 * (docs/performance.md): x viewed as [outer/window, window, 1, inner] is pooled
 * over windows of `window` rows, and the window averages, scaled back by the power of two
 * (exactly), are added up in float64.
 */
function sumByAveragePooling(
  backend: BackendWasm,
  x: TensorInfo,
  out: TensorInfo,
  outer: number,
  inner: number,
  window: number,
): void {
  const windows = outer / window;
  const view: TensorInfo = {
    dataId: x.dataId,
    shape: [windows, window, 1, inner],
    dtype: 'float32',
  };
  const averages = callWasmKernel(
    backend,
    'AvgPool',
    { x: view },
    {
      filterSize: [window, 1],
      strides: [window, 1],
      pad: 'valid',
    },
  );
  // Views after the last allocation: growing the heap would detach earlier ones.
  const means = backend.typedArrayFromHeap(averages) as Float32Array;
  const sums = backend.typedArrayFromHeap(out) as Float32Array;
  const totals = new Float64Array(inner);
  for (let row = 0; row < windows * inner; row += inner) {
    for (let j = 0; j < inner; j += 1)
      totals[j] = (totals[j] as number) + (means[row + j] as number);
  }
  for (let j = 0; j < inner; j += 1) sums[j] = (totals[j] as number) * window;
  free(backend, averages);
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
