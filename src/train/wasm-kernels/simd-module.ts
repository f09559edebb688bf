import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';
import { SIMD_MODULE_PLAIN, SIMD_MODULE_SHARED } from './simd-module.generated.js';
import { wasmApi } from './webassembly-api.js';

/**
 * The kernels of ./assembly. Every pointer is a byte offset into the backend's heap (see
 * `heapOffset`); the caller checks the shapes each kernel requires.
 */
export interface SimdKernels {
  /** dw = the conv2d filter gradient from the padded input xp and dy; outChannels % 4 === 0. */
  conv2dFilterGrad(
    xp: number,
    dy: number,
    dw: number,
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

/** The emscripten module, as far as finding its memory goes. */
interface EmscriptenMemoryHolder {
  /** The threaded build's memory, created in JavaScript and imported by its module. */
  wasmMemory?: unknown;
  /** The single-threaded build's exports, which include the memory it defines. */
  asm?: { memory?: unknown };
}

const compiled = new Map<'plain' | 'shared', object>();
const instances = new WeakMap<BackendWasm, SimdKernels | null>();

/**
 * The SIMD kernels, instantiated on `backend`'s own heap so they work on its tensors in place;
 * null if this backend's memory cannot be found or the runtime lacks wasm SIMD, in which case
 * callers keep their other method. Instantiated once per backend, synchronously (the module is a
 * few KiB), at the first kernel call rather than at import.
 */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  let kernels = instances.get(backend);
  if (kernels === undefined) {
    kernels = instantiate(backend);
    instances.set(backend, kernels);
  }
  return kernels;
}

function instantiate(backend: BackendWasm): SimdKernels | null {
  const holder = backend.wasm as unknown as EmscriptenMemoryHolder;
  const memory = holder.wasmMemory ?? holder.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  const kind = memory.buffer instanceof ArrayBuffer ? 'plain' : 'shared';
  try {
    let module = compiled.get(kind);
    if (module === undefined) {
      const base64 = kind === 'plain' ? SIMD_MODULE_PLAIN : SIMD_MODULE_SHARED;
      module = new wasmApi.Module(Buffer.from(base64, 'base64'));
      compiled.set(kind, module);
    }
    const instance = new wasmApi.Instance(module, { env: { memory } });
    return instance.exports as unknown as SimdKernels;
  } catch {
    // No wasm SIMD (or shared memory) in this runtime: the callers' other methods apply.
    return null;
  }
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
