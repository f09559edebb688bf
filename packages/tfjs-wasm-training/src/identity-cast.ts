import type { CastAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';

type KernelFunc = KernelConfig['kernelFunc'];

/**
 * A new reference to x's buffer, as the cpu and webgl backends give: no kernel writes into an
 * existing buffer, so sharing is safe, and the backend frees it with its last reference.
 */
function share(backend: BackendWasm, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * tfjs-wasm's Identity copies its input. The engine clones every tensor a gradient saves for the
 * backward pass (33 copies in a small conv net's step, ~6% of it), so share instead. Strings
 * keep the built-in kernel.
 */
export function makeSharingIdentityConfig(builtIn: KernelConfig | undefined): KernelConfig {
  if (builtIn === undefined) {
    throw new WasmKernelError('tfjs-backend-wasm has no Identity kernel to wrap');
  }
  const run = builtIn.kernelFunc;
  function identity(args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo {
    const { inputs, backend } = args;
    if (inputs.x.dtype === 'string') return run(args as never) as TensorInfo;
    return share(backend, inputs.x);
  }
  return {
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: identity as unknown as KernelFunc,
  };
}

/**
 * A cast to the tensor's own dtype shares its buffer too. A cast to bool is x ≠ 0 (NaN is true),
 * as on the cpu backend: tfjs-wasm 4.22's built-in copies the values' low byte instead, so 2
 * became 2 and 256 became false. Other conversions keep the built-in.
 */
export function makeSharingCastConfig(builtIn: KernelConfig | undefined): KernelConfig {
  if (builtIn === undefined) {
    throw new WasmKernelError('tfjs-backend-wasm has no Cast kernel to wrap');
  }
  const run = builtIn.kernelFunc;
  function cast(args: {
    inputs: { x: TensorInfo };
    attrs: CastAttrs;
    backend: BackendWasm;
  }): TensorInfo {
    const { inputs, attrs, backend } = args;
    const { x } = inputs;
    if (x.dtype === 'string') return run(args as never) as TensorInfo;
    if (attrs.dtype === x.dtype) return share(backend, x);
    if (attrs.dtype === 'bool') return nonZero(backend, x);
    return run(args as never) as TensorInfo;
  }
  return {
    kernelName: 'Cast',
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: cast as unknown as KernelFunc,
  };
}

function nonZero(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const out = backend.makeOutput(x.shape, 'bool');
  // Views after the allocation: growing the heap would detach earlier ones.
  const flags = backend.typedArrayFromHeap(out) as Uint8Array;
  const values = backend.typedArrayFromHeap(x);
  for (let i = 0; i < flags.length; i += 1) flags[i] = values[i] === 0 ? 0 : 1;
  return out;
}
