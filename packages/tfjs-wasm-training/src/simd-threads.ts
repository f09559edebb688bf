import { Worker } from 'node:worker_threads';
import { WasmKernelError } from './errors.js';
import type { WasmMemory } from './webassembly-api.js';

/** One call of an export of the SIMD module, with its numeric arguments. */
export interface SimdCall {
  name: string;
  args: number[];
}

/** The module's exports on the calling thread, by name. */
export type SimdExports = Record<string, (...args: number[]) => unknown>;

/** Runs a call on the calling thread. */
export function runLocally(exports: SimdExports, call: SimdCall): void {
  const kernel = exports[call.name];
  if (kernel === undefined) throw new WasmKernelError(`no SIMD kernel ${call.name}`);
  kernel(...call.args);
}

const MAX_ARGS = 32;
// Control block: Int32 [request, done, export index, argument count, failed], then the
// arguments as float64 from byte 32.
const REQUEST = 0;
const DONE = 1;
const EXPORT = 2;
const ARG_COUNT = 3;
const FAILED = 4;
const ARGS_OFFSET = 32;
/** A helper that has not answered in this long is taken as gone, rather than waited for forever. */
const HELPER_TIMEOUT_MS = 120_000;

/**
 * The helper thread: instantiates the SIMD module on the backend's shared memory, then runs
 * whatever call the control block names, each time its request counter moves. Plain CommonJS,
 * evaluated from this string, so it needs no file of its own next to the compiled output.
 */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const state = new Int32Array(control, 0, 8);
const args = new Float64Array(control, ${ARGS_OFFSET}, ${MAX_ARGS});
let seen = 0;
for (;;) {
  Atomics.wait(state, ${REQUEST}, seen);
  seen = Atomics.load(state, ${REQUEST});
  if (seen < 0) break;
  let failed = 0;
  try {
    kernels[names[state[${EXPORT}]]](...args.subarray(0, state[${ARG_COUNT}]));
  } catch {
    failed = 1;
  }
  state[${FAILED}] = failed;
  Atomics.store(state, ${DONE}, seen);
  Atomics.notify(state, ${DONE});
}
`;

interface Helper {
  worker: Worker;
  state: Int32Array;
  args: Float64Array;
  request: number;
}

/**
 * Runs SIMD kernels on several threads at once over one shared wasm memory: the calling thread
 * takes the first call and helper threads the others. The kernels themselves split nothing;
 * callers hand each thread its own part (images of a batch) and combine partial results.
 * Synchronous, like every tfjs kernel: the caller blocks (Atomics.wait) until all parts are done.
 */
export class SimdThreadPool {
  private readonly helpers: Helper[];
  private readonly names: string[];

  constructor(
    module: object,
    memory: WasmMemory,
    private readonly local: SimdExports,
    helperCount: number,
  ) {
    this.names = Object.keys(local);
    this.helpers = Array.from({ length: helperCount }, () => {
      const control = new SharedArrayBuffer(ARGS_OFFSET + 8 * MAX_ARGS);
      const worker = new Worker(HELPER_SOURCE, {
        eval: true,
        workerData: { module, memory, control, names: this.names },
      });
      // Idle helpers must not keep the process alive; no work is in flight between kernels.
      worker.unref();
      return {
        worker,
        state: new Int32Array(control, 0, 8),
        args: new Float64Array(control, ARGS_OFFSET, MAX_ARGS),
        request: 0,
      };
    });
  }

  /** This thread plus the helpers. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /**
   * Runs calls[0] here and calls[i] on helper i − 1, at the same time; returns once all have
   * finished. At most `threads` calls.
   */
  runConcurrently(calls: SimdCall[]): void {
    if (calls.length > this.threads) {
      throw new WasmKernelError(`${calls.length} calls for ${this.threads} threads`);
    }
    const started = calls.slice(1).map((call, i) => this.start(this.helpers[i] as Helper, call));
    let localError: unknown;
    try {
      if (calls[0] !== undefined) runLocally(this.local, calls[0]);
    } catch (error) {
      localError = error;
    }
    // Always wait for the helpers: they write into buffers the caller is about to free.
    for (const helper of started) this.finish(helper);
    if (localError !== undefined) throw localError;
  }

  /** Stops the helper threads. */
  async terminate(): Promise<void> {
    for (const helper of this.helpers) {
      Atomics.store(helper.state, REQUEST, -1);
      Atomics.notify(helper.state, REQUEST);
    }
    await Promise.all(this.helpers.map((helper) => helper.worker.terminate()));
  }

  private start(helper: Helper, call: SimdCall): Helper {
    const index = this.names.indexOf(call.name);
    if (index < 0 || call.args.length > MAX_ARGS) {
      throw new WasmKernelError(`no SIMD kernel ${call.name} with ${call.args.length} arguments`);
    }
    helper.args.set(call.args);
    helper.state[EXPORT] = index;
    helper.state[ARG_COUNT] = call.args.length;
    helper.request += 1;
    Atomics.store(helper.state, REQUEST, helper.request);
    Atomics.notify(helper.state, REQUEST);
    return helper;
  }

  private finish(helper: Helper): void {
    const { state, request } = helper;
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    while (Atomics.load(state, DONE) !== request) {
      if (Date.now() > deadline) {
        throw new WasmKernelError('a SIMD helper thread stopped answering');
      }
      Atomics.wait(state, DONE, request - 1, 1000);
    }
    if (state[FAILED] !== 0) throw new WasmKernelError('a SIMD kernel failed on a helper thread');
  }
}
