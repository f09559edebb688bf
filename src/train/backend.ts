import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  MAX_WASM_THREADS,
  registerThreadedWasmBackend,
  registerWasmKernels,
} from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo, BackendName } from './types.js';

/** Loads a module by name; injected so tests can stand in for packages that cannot install here. */
export type ImportModule = (specifier: string) => Promise<unknown>;

export interface SelectBackendDeps {
  importModule?: ImportModule;
  /**
   * Threads for the wasm backend; 1 uses the single-threaded build. Default: one per physical
   * core (up to 8). Fixed once the wasm backend has started in a process. Callers pass the
   * setting (AUTOGRADER_WASM_THREADS, read in src/config.ts); the engine reads no environment.
   */
  wasmThreads?: number;
  /** The GPU's model name from the driver, when there is one; injected for tests. */
  gpuModel?: () => Promise<string | undefined>;
  /** Logical CPUs per physical core; injected for tests. Default: read from Linux's CPU topology. */
  threadsPerCore?: () => Promise<number>;
}

/** No backend could be set: the forced one failed, or (never in practice) even cpu did. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/** Native TensorFlow bindings, best first; optional peer dependencies that may be absent. */
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const AUTOMATIC_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

const defaultImport: ImportModule = (specifier) => import(specifier);

/**
 * Makes the best available backend tfjs's active one and says which it is: tensorflow
 * (tfjs-node-gpu, then tfjs-node), then wasm (with the project's gradient fill-ins), then cpu.
 * A `preferred` backend (--backend or AUTOGRADER_BACKEND) is used or fails with the reason;
 * it never falls back silently, since results record the engine.
 */
export async function selectBackend(
  preferred?: BackendName,
  deps: SelectBackendDeps = {},
): Promise<BackendInfo> {
  const importModule = deps.importModule ?? defaultImport;
  const gpuModel = deps.gpuModel ?? nvidiaGpuModel;
  const wasmThreads =
    deps.wasmThreads ?? defaultWasmThreads(await (deps.threadsPerCore ?? linuxThreadsPerCore)());
  const order = preferred === undefined ? AUTOMATIC_ORDER : [preferred];
  const failures: string[] = [];
  for (const name of order) {
    const outcome = await trySetBackend(name, importModule, wasmThreads, gpuModel);
    if (typeof outcome !== 'string') return outcome;
    failures.push(`${name}: ${outcome}`);
  }
  const what = preferred === undefined ? 'no TensorFlow.js backend' : `backend "${preferred}"`;
  throw new BackendUnavailableError(`${what} could be loaded (${failures.join('; ')})`);
}

/** The backend's info once it is active, or why it could not be made active. */
async function trySetBackend(
  name: BackendName,
  importModule: ImportModule,
  wasmThreads: number,
  gpuModel: () => Promise<string | undefined>,
): Promise<BackendInfo | string> {
  switch (name) {
    case 'tensorflow':
      return trySetTensorflow(importModule, gpuModel);
    case 'wasm':
      return trySetWasm(importModule, wasmThreads);
    case 'cpu':
      return (await activate('cpu'))
        ? {
            name: 'cpu',
            version: tf.version_core,
            detail: 'pure JavaScript (@tensorflow/tfjs)',
            device: 'cpu',
            threads: 1,
          }
        : 'tfjs could not initialize its cpu backend';
  }
}

async function trySetTensorflow(
  importModule: ImportModule,
  gpuModel: () => Promise<string | undefined>,
): Promise<BackendInfo | string> {
  const reasons: string[] = [];
  for (const specifier of TENSORFLOW_PACKAGES) {
    let loaded: unknown;
    try {
      loaded = await importModule(specifier);
    } catch (error) {
      reasons.push(`${specifier} is not installed or does not load (${describe(error)})`);
      continue;
    }
    if (await activate('tensorflow')) {
      // tfjs-node-gpu without a usable CUDA runs TensorFlow's CPU kernels: only the backend knows.
      const onGpu = usesGpuDevice(tf.backend());
      return {
        name: 'tensorflow',
        version: packageVersion(loaded, specifier),
        detail: specifier,
        device: onGpu ? ((await gpuModel().catch(() => undefined)) ?? 'GPU') : 'cpu',
        // TensorFlow's intra-op pool defaults to one thread per schedulable CPU.
        threads: os.availableParallelism(),
      };
    }
    reasons.push(`${specifier} loaded but its "tensorflow" backend did not initialize`);
  }
  return reasons.join('; ');
}

/**
 * One thread per physical core (tfjs's own rule, and PyTorch's default): hyperthreads add little
 * to SIMD GEMMs, and a thread pool larger than the free cores spins and slows every step. A VM
 * whose vCPUs are whole cores (no SMT siblings) gets a thread per vCPU.
 */
export function defaultWasmThreads(threadsPerCore: number): number {
  const perCore = Math.max(1, Math.floor(threadsPerCore));
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(os.availableParallelism() / perCore)));
}

/** CPUs in a Linux CPU list such as "0-3,8-11"; 0 when it cannot be read. */
export function countCpuList(list: string): number {
  let count = 0;
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return 0;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return 0;
    count += last - first + 1;
  }
  return count;
}

/** cpu0's SMT siblings (itself included); 2, the usual SMT width, where the topology is not readable. */
async function linuxThreadsPerCore(): Promise<number> {
  const list = await readFile(
    '/sys/devices/system/cpu/cpu0/topology/thread_siblings_list',
    'utf8',
  ).catch(() => '');
  return countCpuList(list) || 2;
}

/** Threads asked of the wasm backend this process started, once it has. */
let startedWasmThreads: number | undefined;
let threadsUnavailable: string | undefined;

async function trySetWasm(
  importModule: ImportModule,
  wasmThreads: number,
): Promise<BackendInfo | string> {
  let loaded: unknown;
  try {
    loaded = await importModule(WASM_PACKAGE);
  } catch (error) {
    return `${WASM_PACKAGE} does not load (${describe(error)})`;
  }
  // Before initialization: the replaced built-in's setup must still run with the backend.
  registerWasmKernels();
  if (startedWasmThreads === undefined && wasmThreads > 1 && hasBackendWasm(loaded)) {
    registerThreadedWasmBackend(loaded, wasmThreads, (reason) => {
      threadsUnavailable = reason;
    });
  }
  if (!(await activate('wasm'))) return 'the WebAssembly module did not initialize';
  startedWasmThreads ??= wasmThreads;
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = threadsCount(loaded);
  const why =
    threads < wasmThreads && threadsUnavailable
      ? ` (threads unavailable: ${threadsUnavailable})`
      : '';
  return {
    name: 'wasm',
    version: packageVersion(loaded, WASM_PACKAGE),
    device: 'cpu',
    threads,
    detail: `wasm ${simd ? 'simd' : 'no simd'}, ${threads} thread${threads === 1 ? '' : 's'}${why}`,
  };
}

/**
 * tfjs-node's backend says whether TensorFlow placed work on a GPU (`isUsingGpuDevice`, set by
 * the native binding from the devices TensorFlow found).
 */
export function usesGpuDevice(backend: unknown): boolean {
  return isRecord(backend) && backend.isUsingGpuDevice === true;
}

/** True when the engine trains on a GPU, whatever its name. */
export function isGpuDevice(info: Pick<BackendInfo, 'device'>): boolean {
  return info.device !== 'cpu';
}

/**
 * The first NVIDIA GPU's model, from the driver's /proc/driver/nvidia/gpus/<bus>/information
 * ("Model: Tesla T4"), which the NVIDIA container runtime shows inside containers too.
 */
async function nvidiaGpuModel(): Promise<string | undefined> {
  const root = '/proc/driver/nvidia/gpus';
  const buses = (await readdir(root).catch(() => [])).sort();
  for (const bus of buses) {
    const text = await readFile(path.join(root, bus, 'information'), 'utf8').catch(() => '');
    const model = /^Model:\s*(.+?)\s*$/m.exec(text)?.[1];
    if (model) return model;
  }
  return undefined;
}

function hasBackendWasm(
  loaded: unknown,
): loaded is Parameters<typeof registerThreadedWasmBackend>[0] {
  return isRecord(loaded) && typeof loaded.BackendWasm === 'function';
}

/** tf.setBackend reports an initialization failure as false (after a console warning). */
async function activate(name: string): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

function threadsCount(wasmModule: unknown): number {
  if (isRecord(wasmModule) && typeof wasmModule.getThreadsCount === 'function') {
    const count: unknown = wasmModule.getThreadsCount();
    if (typeof count === 'number' && count > 0) return count;
  }
  return 1;
}

/** The version a backend package reports about itself, else tfjs-core's (the packages are pinned together). */
function packageVersion(loaded: unknown, specifier: string): string {
  if (isRecord(loaded)) {
    for (const key of ['version_wasm', 'version']) {
      const value = loaded[key];
      if (typeof value === 'string') return value;
      if (isRecord(value)) {
        const own = value[specifier.replace('@tensorflow/', '')];
        if (typeof own === 'string') return own;
      }
    }
  }
  return tf.version_core;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}
