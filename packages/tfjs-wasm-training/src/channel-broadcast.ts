import { type KernelConfig, type TensorInfo, util } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free } from './backend-calls.js';
import { WasmKernelError } from './errors.js';

type KernelFunc = KernelConfig['kernelFunc'];
type BinaryArgs = { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendWasm };

/** Below this many elements the broadcast costs too little to matter. */
const MIN_ELEMENTS = 4096;
/** The per-channel operand is repeated to about this length. */
const TARGET_ROW = 1024;

/**
 * tfjs-wasm broadcasts a per-channel vector (a conv's bias, [C] against [N,H,W,C]) one short
 * row of C at a time: several times slower than the same op without broadcasting when C is
 * small (docs/performance.md has the figures). Viewing the tensor as rows of k·C values and
 * repeating the vector k times makes the rows long, and the result is the same element for
 * element. Other broadcasts keep the built-in kernel.
 */
export function makeChannelBroadcastConfig(
  kernelName: 'Add' | 'Sub' | 'Multiply',
  builtIn: KernelConfig | undefined,
): KernelConfig {
  if (builtIn === undefined) {
    throw new WasmKernelError(`tfjs-backend-wasm has no ${kernelName} kernel to wrap`);
  }
  const run = builtIn.kernelFunc;
  function binary(args: BinaryArgs): TensorInfo {
    const { inputs, backend } = args;
    const { a, b } = inputs;
    const vectorIsB = isChannelVector(b, a);
    const vectorIsA = !vectorIsB && isChannelVector(a, b);
    if (!vectorIsA && !vectorIsB) return run(args as never) as TensorInfo;
    const [full, vector] = vectorIsB ? [a, b] : [b, a];
    const channels = vector.shape[vector.shape.length - 1] as number;
    const rows = util.sizeFromShape(full.shape) / channels;
    const repeat = largestDivisorAtMost(rows, Math.max(1, Math.floor(TARGET_ROW / channels)));
    const width = repeat * channels;

    const repeatedInfo = backend.makeOutput([width], vector.dtype);
    // Views after the allocation: growing the heap would detach earlier ones.
    const repeated = backend.typedArrayFromHeap(repeatedInfo);
    const values = backend.typedArrayFromHeap(vector);
    for (let r = 0; r < repeat; r += 1) repeated.set(values, r * channels);
    const view: TensorInfo = {
      dataId: full.dataId,
      shape: [rows / repeat, width],
      dtype: full.dtype,
    };
    const out = run({
      ...args,
      inputs: vectorIsB ? { a: view, b: repeatedInfo } : { a: repeatedInfo, b: view },
    } as never) as TensorInfo;
    free(backend, repeatedInfo);
    return { dataId: out.dataId, shape: full.shape, dtype: out.dtype };
  }
  return {
    kernelName,
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: binary as unknown as KernelFunc,
  };
}

/**
 * `vector` holds one value per channel of `full` (shape [C], or [1,…,1,C]), `full` is large,
 * and both have the same numeric dtype.
 */
function isChannelVector(vector: TensorInfo, full: TensorInfo): boolean {
  const channels = vector.shape[vector.shape.length - 1];
  return (
    channels !== undefined &&
    channels > 1 &&
    vector.dtype === full.dtype &&
    (full.dtype === 'float32' || full.dtype === 'int32') &&
    vector.shape.length <= full.shape.length &&
    vector.shape.slice(0, -1).every((size) => size === 1) &&
    full.shape[full.shape.length - 1] === channels &&
    util.sizeFromShape(full.shape) >= MIN_ELEMENTS
  );
}

function largestDivisorAtMost(n: number, limit: number): number {
  for (let d = Math.min(n, limit); d > 1; d -= 1) if (n % d === 0) return d;
  return 1;
}
