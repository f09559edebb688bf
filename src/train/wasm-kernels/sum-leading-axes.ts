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

/**
 * A sum over the leading axes (a bias gradient: dy summed over batch, height and width) makes
 * tfjs-wasm transpose the whole tensor so the reduced axes come last, then sum. As a matrix
 * product ones[1, outer] · x[outer, inner] it is one GEMM and no copy: ~4× faster on a conv
 * layer's dy. Other reductions keep the built-in kernel.
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
    const outer = util.sizeFromShape(x.shape.slice(0, axes.length));
    const inner = size / outer;
    const ones = backend.makeOutput([1, 1, outer], 'float32');
    (backend.typedArrayFromHeap(ones) as Float32Array).fill(1);
    const product = callWasmKernel(
      backend,
      'BatchMatMul',
      { a: ones, b: { dataId: x.dataId, shape: [1, outer, inner], dtype: x.dtype } },
      { transposeA: false, transposeB: false },
    );
    free(backend, ones);
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    product.shape = attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    return product;
  }
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: sum as unknown as KernelFunc,
  };
}
