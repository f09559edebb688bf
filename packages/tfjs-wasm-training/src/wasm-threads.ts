import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** The threaded build pre-creates this many pthread workers; more threads cannot be used. */
export const MAX_WASM_THREADS = 8;
const WASM_PRIORITY = 2;

/** The emscripten module, as far as this file touches it. */
interface ThreadedModule {
  PThread?: { runningWorkers?: { unref?: () => void }[]; unusedWorkers?: { unref?: () => void }[] };
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
}
type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;
/** The package's exports used here; its BackendWasm types its module as the build it bundles. */
interface WasmPackage {
  BackendWasm: new (module: never) => tf.KernelBackend;
}

/**
 * Registers tfjs-backend-wasm's multi-threaded SIMD build as the "wasm" backend, with
 * `threads` XNNPACK threads. tfjs turns wasm threads off in Node (its feature check returns
 * false there, and it hands emscripten a Blob URL for the worker, which worker_threads cannot
 * load), although the emscripten output runs its pthreads on worker_threads. So: the worker
 * script goes to a file, the module is instantiated here, and tfjs's own BackendWasm wraps it.
 *
 * If the threaded module fails to start, the single-threaded backend the package registered
 * is used instead and `onFallback` says why. Call after importing @tensorflow/tfjs-backend-wasm
 * and before tf.setBackend('wasm'); returns false, changing nothing, once the wasm backend has
 * started.
 */
export function registerThreadedWasmBackend(
  wasmPackage: WasmPackage,
  threads: number,
  onFallback: (reason: string) => void = () => {},
): boolean {
  // A started backend owns tensors; replacing it would dispose them. Keep it as it is.
  if (tf.findBackend('wasm') !== null) return false;
  const singleThreaded = tf.findBackendFactory('wasm');
  if (singleThreaded !== null) tf.removeBackend('wasm');
  const count = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(threads)));
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        const module = await instantiateThreaded(count);
        // The constructor starts the thread pool.
        const backend = new wasmPackage.BackendWasm(module as never);
        // Pool threads idle between kernels for the life of the process; emscripten refs their
        // workers, which would keep Node from exiting. Kernels run synchronously on the main
        // thread's call, so no work is in flight when the process may end.
        const { runningWorkers = [], unusedWorkers = [] } = module.PThread ?? {};
        for (const worker of [...runningWorkers, ...unusedWorkers]) worker.unref?.();
        return backend;
      } catch (error) {
        if (singleThreaded === null) throw error;
        onFallback(error instanceof Error ? error.message : String(error));
        return singleThreaded();
      }
    },
    WASM_PRIORITY,
  );
  return true;
}

async function instantiateThreaded(threads: number): Promise<ThreadedModule> {
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error('this runtime has no SharedArrayBuffer, which wasm threads need');
  }
  const require = createRequire(import.meta.url);
  const out = path.join(
    path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'wasm-out',
  );
  const factory = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.js')) as ThreadedFactory;
  const { wasmWorkerContents } = require(
    path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js'),
  ) as { wasmWorkerContents: string };
  // The string holds "\n" escapes that became real newlines inside string literals; tfjs
  // re-escapes them the same way before making its Blob.
  const workerFile = await writeOnce(wasmWorkerContents.replace(/\n/g, '\\n'), 'worker.cjs');
  const module = await withLogicalCores(2 * threads, () =>
    factory({
      locateFile: (file: string) =>
        file.endsWith('.worker.js') ? workerFile : path.join(out, file),
      // Each pthread worker loads the main script from this path (importScripts → fs read).
      mainScriptUrlOrBlob: path.join(out, 'tfjs-backend-wasm-threaded-simd.js'),
    }),
  );
  // The bridge tfjs's own init() sets up before constructing BackendWasm.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/** Writes `contents` under the temp directory, named by its hash, unless it is already there. */
async function writeOnce(contents: string, suffix: string): Promise<string> {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'autograder-tfjs-wasm');
  const file = path.join(dir, `threaded-simd-${hash}.${suffix}`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, contents);
  await rename(partial, file);
  return file;
}

/**
 * The threaded build sizes its thread pool once, while it starts, as half the logical CPUs
 * (assuming two hyperthreads per core) and caps any requested count there: on a 2-vCPU machine
 * that is one thread. Report enough CPUs during start-up for the count asked for.
 */
async function withLogicalCores<T>(count: number, start: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  const real = cpus();
  if (real.length >= count) return start();
  const first = real[0];
  os.cpus = () => (first === undefined ? real : Array.from({ length: count }, () => first));
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}
