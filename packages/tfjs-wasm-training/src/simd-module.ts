import type { TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';
import { SIMD_MODULE_PLAIN, SIMD_MODULE_SHARED } from './simd-module.generated.js';
import { runLocally, type SimdCall, type SimdExports, SimdThreadPool } from './simd-threads.js';
import { wasmApi } from './webassembly-api.js';

/**
 * A conv kernel: three pointers (xp, then dy and dw or w and y), then the geometry that
 * `convGeometry` lists.
 */
type ConvKernel = (
  xp: number,
  second: number,
  third: number,
  batch: number,
  paddedHeight: number,
  paddedWidth: number,
  inChannels: number,
  outHeight: number,
  outWidth: number,
  outChannels: number,
  filterHeight: number,
  filterWidth: number,
  strideHeight: number,
  strideWidth: number,
) => void;

/** A depthwise kernel: three pointers, then the geometry `depthwiseGeometry` lists. */
type DepthwiseKernel = (
  first: number,
  second: number,
  third: number,
  batch: number,
  paddedHeight: number,
  paddedWidth: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  filterHeight: number,
  filterWidth: number,
  strideHeight: number,
  strideWidth: number,
) => void;

/**
 * The kernels of ./assembly. Every pointer is a byte offset into the backend's heap (see
 * `heapOffset`); the caller checks the shapes each kernel requires.
 */
export interface SimdKernels {
  /** dw = the conv2d filter gradient from the padded input xp and dy; outChannels % 4 === 0. */
  conv2dFilterGrad: ConvKernel;
  /** y = the conv2d of the padded input xp with w; outChannels % 4 === 0. */
  conv2dForward: ConvKernel;
  /**
   * dxp (the padded input's shape) = the conv2d input gradient from dy and wt (the filter as
   * [kh, kw, out, in]), any stride; inChannels % 4 === 0. Arguments: dy, wt, dxp, then the
   * geometry.
   */
  conv2dBackpropInput: ConvKernel;
  /** dw of a depthwise conv (multiplier 1) from xp and dy; channels % 4 === 0. */
  depthwiseFilterGrad: DepthwiseKernel;
  /** dxp (padded, zeroed here) of a depthwise conv (multiplier 1) from dy and w. */
  depthwiseInputGrad: DepthwiseKernel;
  /** One Adam/AdamW step into new buffers; decayKind 0 none, 1 L2, 2 decoupled. */
  adamStep(
    param: number,
    grad: number,
    m: number,
    v: number,
    paramOut: number,
    mOut: number,
    vOut: number,
    n: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    sqrtCorrection2: number,
    epsilon: number,
    stepSize: number,
    decayKind: number,
    decay: number,
  ): void;
  /** out = x with zero rows and columns around each image (NHWC). */
  padNhwc(
    x: number,
    out: number,
    batch: number,
    height: number,
    width: number,
    channels: number,
    top: number,
    bottom: number,
    left: number,
    right: number,
  ): void;
  /** rows runs of rowBytes bytes from src to dst, each its stride after the last. */
  copyRuns(
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    rowBytes: number,
    rows: number,
  ): void;
  /** out = the window of xp from row top and column left (padNhwc's inverse). */
  cropNhwc(
    xp: number,
    out: number,
    batch: number,
    paddedHeight: number,
    paddedWidth: number,
    channels: number,
    height: number,
    width: number,
    top: number,
    left: number,
  ): void;
  /** dx = dy · step(x) for n floats (ReLU's input gradient). */
  reluGrad(dy: number, x: number, dx: number, n: number): void;
  /** BatchNorm's training forward over rows × channels; scratch holds 3·channels floats. */
  batchNormForward(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    variance: number,
    rows: number,
    channels: number,
    epsilon: number,
    scratch: number,
  ): void;
  /** Its gradient: dx, dgamma and dbeta; scratch holds 9·channels floats. */
  batchNormBackward(
    dy: number,
    x: number,
    gamma: number,
    mean: number,
    variance: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    channels: number,
    epsilon: number,
    scratch: number,
  ): void;
  /** y = y + bias per channel in place over rows × channels, then max(·, 0) when relu is 1. */
  biasRelu(y: number, bias: number, rows: number, channels: number, relu: number): void;
  /** dx = dy · step(y) (dy without relu) and dbias = dx summed over the rows. */
  biasReluGrad(
    dy: number,
    y: number,
    dx: number,
    dbias: number,
    rows: number,
    channels: number,
    relu: number,
  ): void;
  /** c [m, n] = a [m, k] · b [k, n] + bias (n values, or none when 0), row-major. */
  smallMatMul(a: number, b: number, c: number, bias: number, m: number, k: number, n: number): void;
  /** dst[i] += src[i] for n floats. */
  addInto(dst: number, src: number, n: number): void;
  /** y = MaxPool2d(2) of x; channels % 4 === 0. */
  maxPool2x2(
    x: number,
    y: number,
    batch: number,
    inHeight: number,
    inWidth: number,
    channels: number,
    outHeight: number,
    outWidth: number,
  ): void;
  /** dx = the MaxPool2d(2) gradient; channels % 4 === 0. */
  maxPool2x2Grad(
    x: number,
    dy: number,
    dx: number,
    batch: number,
    inHeight: number,
    inWidth: number,
    channels: number,
    outHeight: number,
    outWidth: number,
  ): void;
}

/** The emscripten module, as far as finding its memory and threads goes. */
interface EmscriptenModule {
  /** The threaded build's memory, created in JavaScript and imported by its module. */
  wasmMemory?: unknown;
  /** The single-threaded build's exports, which include the memory it defines. */
  asm?: { memory?: unknown };
  /** tfjs's bridge to its C functions. */
  tfjs?: { getThreadsCount?: () => number };
}

interface SimdRuntime {
  kernels: SimdKernels;
  /** Helper threads, when the backend runs threaded (its memory is shared). */
  pool: SimdThreadPool | null;
}

const compiled = new Map<'plain' | 'shared', object>();
const runtimes = new WeakMap<BackendWasm, SimdRuntime | null>();

/**
 * The SIMD kernels, instantiated on `backend`'s own heap so they work on its tensors in place;
 * null if this backend's memory cannot be found or the runtime lacks wasm SIMD, in which case
 * callers keep their other method. Instantiated once per backend, synchronously (the module is a
 * few KiB), at the first kernel call rather than at import.
 */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  return simdRuntime(backend)?.kernels ?? null;
}

/** The SIMD kernels for a kernel that has no other method: throws naming `kernelName` without them. */
export function requireSimdKernels(backend: BackendWasm, kernelName: string): SimdKernels {
  const kernels = simdKernels(backend);
  if (kernels === null) throw new WasmKernelError(`${kernelName} needs the SIMD kernels`);
  return kernels;
}

/**
 * Whether the current backend runs `kernelName`, one of this project's kernels built on the
 * SIMD module: only wasm registers them, and they need the module to have instantiated.
 */
export function hasSimdKernel(kernelName: string): boolean {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(kernelName, 'wasm') === undefined) return false;
  return simdKernels(tf.backend() as BackendWasm) !== null;
}

/** How many parts `runParts` runs at once on this backend: its thread count. */
export function simdThreadCount(backend: BackendWasm): number {
  return simdRuntime(backend)?.pool?.threads ?? 1;
}

/**
 * Runs independent calls of SIMD kernels, at most `simdThreadCount` of them, concurrently on the
 * threaded backend (one per thread) and one after another otherwise.
 */
export function runParts(backend: BackendWasm, calls: SimdCall[]): void {
  const runtime = simdRuntime(backend);
  if (runtime === null) throw new WasmKernelError('the SIMD kernels are not available');
  if (runtime.pool !== null && calls.length > 1) {
    runtime.pool.runConcurrently(calls);
    return;
  }
  for (const call of calls) runLocally(runtime.kernels as unknown as SimdExports, call);
}

function simdRuntime(backend: BackendWasm): SimdRuntime | null {
  let runtime = runtimes.get(backend);
  if (runtime === undefined) {
    runtime = instantiate(backend);
    runtimes.set(backend, runtime);
  }
  return runtime;
}

function instantiate(backend: BackendWasm): SimdRuntime | null {
  const emscripten = backend.wasm as unknown as EmscriptenModule;
  const memory = emscripten.wasmMemory ?? emscripten.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  const kind = memory.buffer instanceof ArrayBuffer ? 'plain' : 'shared';
  let module = compiled.get(kind);
  let kernels: SimdKernels;
  try {
    if (module === undefined) {
      const base64 = kind === 'plain' ? SIMD_MODULE_PLAIN : SIMD_MODULE_SHARED;
      module = new wasmApi.Module(Buffer.from(base64, 'base64'));
      compiled.set(kind, module);
    }
    kernels = new wasmApi.Instance(module, { env: { memory } }).exports as SimdKernels;
  } catch {
    // No wasm SIMD (or shared memory) in this runtime: the callers' other methods apply.
    return null;
  }
  const threads = emscripten.tfjs?.getThreadsCount?.() ?? 1;
  const pool =
    kind === 'shared' && threads > 1
      ? new SimdThreadPool(module, memory, kernels as unknown as SimdExports, threads - 1)
      : null;
  return { kernels, pool };
}

/** `batch` images in at most `parts` runs of consecutive images, as even as they divide. */
export function splitBatch(batch: number, parts: number): { first: number; count: number }[] {
  const count = Math.max(1, Math.min(parts, batch));
  return Array.from({ length: count }, (_, i) => {
    const first = Math.floor((i * batch) / count);
    return { first, count: Math.floor(((i + 1) * batch) / count) - first };
  });
}

/** Where a tensor's values start in the backend's heap, in bytes. */
export function heapOffset(backend: BackendWasm, info: TensorInfo): number {
  const offset = backend.dataIdMap.get(info.dataId)?.memoryOffset;
  // Offset 0 is the heap's own start, never a tensor: writing there would corrupt the backend.
  if (offset === undefined || offset <= 0) {
    throw new WasmKernelError('a tensor passed to a SIMD kernel is not in the wasm heap');
  }
  return offset;
}
