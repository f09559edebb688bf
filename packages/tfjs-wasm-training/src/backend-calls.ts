import { type Attribute, getKernel, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';

/**
 * Runs another wasm kernel directly on the backend, below the engine: no tape entries, no
 * engine-tracked tensors. The caller owns the result and frees it with `free` unless it
 * returns it.
 */
export function callWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, Attribute> = {},
): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (kernel === undefined) {
    throw new WasmKernelError(`the wasm backend has no ${kernelName} kernel to build on`);
  }
  const result = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(result)) {
    throw new WasmKernelError(`${kernelName} returned several tensors; one was expected`);
  }
  return result;
}

export function free(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return callWasmKernel(backend, 'Transpose', { x }, { perm });
}

/** A 4-d shape, read safely under noUncheckedIndexedAccess. */
export function shape4(info: TensorInfo, what: string): [number, number, number, number] {
  const [a, b, c, d] = info.shape;
  if (
    info.shape.length !== 4 ||
    a === undefined ||
    b === undefined ||
    c === undefined ||
    d === undefined
  ) {
    throw new WasmKernelError(`${what} must be 4-d, got shape [${info.shape.join(', ')}]`);
  }
  return [a, b, c, d];
}

export function requireChannelsLast(dataFormat: string | undefined, kernelName: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new WasmKernelError(
      `${kernelName} on wasm supports channels-last (NHWC) data only, got ${dataFormat}`,
    );
  }
}
