import { readConfig } from '../src/config.js';
import { selectBackend } from '../src/train/index.js';
import type { BackendInfo, BackendName } from '../src/train/types.js';

/**
 * The engine a benchmark trains on, with the threads the environment asks for
 * (AUTOGRADER_WASM_THREADS, as `autograder grade` reads it) instead of the engine's default.
 */
export function selectBenchBackend(name?: string): Promise<BackendInfo> {
  const { wasmThreads } = readConfig();
  return selectBackend(
    name as BackendName | undefined,
    wasmThreads === undefined ? {} : { wasmThreads },
  );
}
