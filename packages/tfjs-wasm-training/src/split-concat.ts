import {
  backend_util,
  type ConcatAttrs,
  type KernelConfig,
  type SplitVAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelError } from './errors.js';
import { heapOffset, simdKernels } from './simd-module.js';

type KernelFunc = KernelConfig['kernelFunc'];

/** Values before and after `axis`: a tensor as outer × [axis] × inner. */
function around(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return {
    outer: util.sizeFromShape(shape.slice(0, axis)),
    inner: util.sizeFromShape(shape.slice(axis + 1)),
  };
}

/** 4-byte dtypes, which copyRuns moves as bytes; bool and strings keep the built-in kernels. */
function fourByte(info: TensorInfo): boolean {
  return info.dtype === 'float32' || info.dtype === 'int32';
}

/**
 * tfjs-wasm splits (and concatenates) along an inner axis with a Slice per output, a scalar
 * index walk that was half of a grouped conv net's step (the groups are channel ranges of
 * NHWC tensors). One run copy per outer index instead; other cases keep the built-in kernel.
 */
export function makeSplitVConfig(builtIn: KernelConfig | undefined): KernelConfig {
  if (builtIn === undefined) throw new WasmKernelError('tfjs-backend-wasm has no SplitV kernel');
  function splitV(args: {
    inputs: { x: TensorInfo };
    attrs: SplitVAttrs;
    backend: BackendWasm;
  }): TensorInfo[] {
    const { inputs, attrs, backend } = args;
    const { x } = inputs;
    const kernels = simdKernels(backend);
    const axis = util.parseAxisParam(attrs.axis, x.shape)[0] ?? 0;
    const sizes = backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
    if (kernels === null || !fourByte(x) || util.sizeFromShape(x.shape) === 0) {
      return builtIn?.kernelFunc(args as never) as TensorInfo[];
    }
    const { outer, inner } = around(x.shape, axis);
    const axisSize = x.shape[axis] as number;
    const source = heapOffset(backend, x);
    let begin = 0;
    return sizes.map((size) => {
      const shape = [...x.shape];
      shape[axis] = size;
      const out = backend.makeOutput(shape, x.dtype);
      if (size > 0) {
        kernels.copyRuns(
          source + begin * inner * 4,
          axisSize * inner * 4,
          heapOffset(backend, out),
          size * inner * 4,
          size * inner * 4,
          outer,
        );
      }
      begin += size;
      return out;
    });
  }
  return withSetup('SplitV', builtIn, splitV as unknown as KernelFunc);
}

export function makeConcatConfig(builtIn: KernelConfig | undefined): KernelConfig {
  if (builtIn === undefined) throw new WasmKernelError('tfjs-backend-wasm has no Concat kernel');
  function concat(args: {
    inputs: TensorInfo[];
    attrs: ConcatAttrs;
    backend: BackendWasm;
  }): TensorInfo {
    const { inputs, attrs, backend } = args;
    const kernels = simdKernels(backend);
    const first = inputs[0];
    if (kernels === null || first === undefined || !inputs.every(fourByte)) {
      return builtIn?.kernelFunc(args as never) as TensorInfo;
    }
    const axis = util.parseAxisParam(attrs.axis, first.shape)[0] ?? 0;
    const parts = inputs.filter((info) => util.sizeFromShape(info.shape) > 0);
    const dtype = first.dtype;
    if (parts.length < 2 || !parts.every((info) => info.dtype === dtype)) {
      return builtIn?.kernelFunc(args as never) as TensorInfo;
    }
    const shapes = parts.map((info) => info.shape);
    backend_util.assertParamsConsistent(shapes, axis);
    const outShape = backend_util.computeOutShape(shapes, axis);
    const out = backend.makeOutput(outShape, dtype);
    const { outer, inner } = around(outShape, axis);
    const rowBytes = (outShape[axis] as number) * inner * 4;
    const target = heapOffset(backend, out);
    let begin = 0;
    for (const part of parts) {
      const size = (part.shape[axis] as number) * inner * 4;
      kernels.copyRuns(heapOffset(backend, part), size, target + begin, rowBytes, size, outer);
      begin += size;
    }
    return out;
  }
  return withSetup('Concat', builtIn, concat as unknown as KernelFunc);
}

function withSetup(
  kernelName: string,
  builtIn: KernelConfig,
  kernelFunc: KernelFunc,
): KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc,
  };
}
