import * as tf from '@tensorflow/tfjs';
import * as wasmPackage from '@tensorflow/tfjs-backend-wasm';
import { registerThreadedWasmBackend, registerWasmKernels } from '../../src/index.js';

/**
 * Makes tfjs's wasm backend, with this package's kernels, the active one, as a trainer would:
 * with `threads` above 1, its threaded build (the one graded on multi-core machines).
 */
export async function startWasm(threads: number): Promise<void> {
  registerWasmKernels();
  if (threads > 1) registerThreadedWasmBackend(wasmPackage, threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start its wasm backend');
}
