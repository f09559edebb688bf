import {
  backend_util,
  type Conv2DAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { shape4 } from './backend-calls.js';
import { WasmKernelError } from './errors.js';
import { convGeometry, convParts, imageBytes, padForConv } from './simd-conv.js';
import { heapOffset, runParts, simdKernels } from './simd-module.js';

type KernelFunc = KernelConfig['kernelFunc'];
type ConvInfo = backend_util.Conv2DInfo;

/** Which kernel computes a Conv2D; an optional `method` attr forces one (benchmark, tests). */
export type Conv2dMethod = 'simd' | 'xnnpack';

/**
 * XNNPACK packs a layer's weights and pads its output channels to a multiple of 8, which costs
 * more than it gains on narrow layers; from 32 output channels on the two are even (figures in
 * docs/performance.md). So the SIMD kernel takes layers up to 16 output channels
 * (`npx tsx bench/conv-kernels.ts` times both per course layer).
 */
const SIMD_MAX_OUT_CHANNELS = 16;

export function pickConv2dMethod(info: ConvInfo, simdAvailable: boolean): Conv2dMethod {
  const usable = simdAvailable && simdApplies(info);
  return usable && info.outChannels <= SIMD_MAX_OUT_CHANNELS ? 'simd' : 'xnnpack';
}

function simdApplies(info: ConvInfo): boolean {
  return (
    info.outChannels % 4 === 0 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.dataFormat === 'channelsLast'
  );
}

/**
 * tfjs-wasm's Conv2D, with narrow layers (few output channels) on this project's SIMD kernel.
 * Everything else, and any case the kernel does not cover (dilation, channels-first), goes to
 * the built-in XNNPACK kernel. Conv2DBackpropInput's stride-1 path calls Conv2D too, so the
 * input gradients of narrow layers take the same kernel.
 */
export function makeConv2dConfig(builtIn: KernelConfig | undefined): KernelConfig {
  if (builtIn === undefined) throw new WasmKernelError('tfjs-backend-wasm has no Conv2D kernel');
  const xnnpack = builtIn.kernelFunc;
  function conv2d(args: {
    inputs: { x: TensorInfo; filter: TensorInfo };
    attrs: Conv2DAttrs & { method?: Conv2dMethod };
    backend: BackendWasm;
  }): TensorInfo {
    const { inputs, attrs, backend } = args;
    const { x, filter } = inputs;
    const info = backend_util.computeConv2DInfo(
      shape4(x, 'Conv2D input x'),
      shape4(filter, 'Conv2D filter'),
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const kernels = simdKernels(backend);
    const method = attrs.method ?? pickConv2dMethod(info, kernels !== null);
    if (method !== 'simd' || kernels === null || !simdApplies(info)) {
      return xnnpack(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    const padded = padForConv(backend, kernels, x, info);
    const y = backend.makeOutput([...info.outShape], 'float32');
    const bytes = imageBytes(info, padded);
    const xAt = heapOffset(backend, padded.info);
    const filterAt = heapOffset(backend, filter);
    const yAt = heapOffset(backend, y);
    // Images are independent: one run of them per thread.
    runParts(
      backend,
      convParts(backend, info).map(({ first, count }) => ({
        name: 'conv2dForward',
        args: [
          xAt + first * bytes.input,
          filterAt,
          yAt + first * bytes.output,
          ...convGeometry(info, padded, count),
        ],
      })),
    );
    padded.release();
    return y;
  }
  return {
    kernelName: 'Conv2D',
    backendName: 'wasm',
    // The built-in kernel binds its wasm function in setup; keep that for its own cases.
    ...(builtIn.setupFunc === undefined ? {} : { setupFunc: builtIn.setupFunc }),
    kernelFunc: conv2d as unknown as KernelFunc,
  };
}
