import os from 'node:os';
import { registerThreadedWasmBackend } from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  countCpuList,
  defaultWasmThreads,
  isGpuDevice,
  selectBackend,
} from '../../src/train/backend.js';

/** An importModule that records what was asked for and loads only the packages given. */
function importing(available: Record<string, () => unknown>) {
  const asked: string[] = [];
  const importModule = async (specifier: string): Promise<unknown> => {
    asked.push(specifier);
    const load = available[specifier];
    if (load === undefined) throw new Error(`Cannot find package '${specifier}'`);
    return load();
  };
  return { asked, importModule };
}

const realWasm = () => import('@tensorflow/tfjs-backend-wasm');

/**
 * Stands in for tfjs-node: registers a "tensorflow" backend (backed by cpu) as the real one does
 * on import; with `gpu`, the backend reports `isUsingGpuDevice` as tfjs-node's does.
 */
function fakeTensorflowBinding(version: Record<string, string>, gpu?: boolean) {
  return () => {
    const cpuFactory = tf.findBackendFactory('cpu');
    if (cpuFactory === null) throw new Error('cpu backend factory missing');
    tf.registerBackend('tensorflow', async () => {
      const backend = await cpuFactory();
      if (gpu !== undefined) Object.assign(backend, { isUsingGpuDevice: gpu });
      return backend;
    });
    return { version };
  };
}

afterEach(async () => {
  if (tf.findBackend('tensorflow') !== null || tf.findBackendFactory('tensorflow') !== null) {
    tf.removeBackend('tensorflow');
  }
  await tf.setBackend('cpu');
});

describe('selectBackend', () => {
  it('tries tfjs-node-gpu, then tfjs-node, then takes wasm when neither installs', async () => {
    // Prepare
    const { asked, importModule } = importing({ '@tensorflow/tfjs-backend-wasm': realWasm });

    // Act
    const info = await selectBackend(undefined, { importModule, wasmThreads: 2 });

    // Assess
    expect(asked).toEqual([
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
    ]);
    expect(info.name).toBe('wasm');
    expect(info.version).toBe('4.22.0');
    // Node 20 has wasm SIMD; the threaded build runs its pool on worker_threads.
    expect(info.detail).toBe('wasm simd, 2 threads');
    expect(info).toMatchObject({ device: 'cpu', threads: 2 });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('prefers the native binding when one loads, and records which package it was', async () => {
    // Prepare
    const { asked, importModule } = importing({
      '@tensorflow/tfjs-node': fakeTensorflowBinding({ 'tfjs-node': '4.22.0-test' }),
      '@tensorflow/tfjs-backend-wasm': realWasm,
    });

    // Act
    const info = await selectBackend(undefined, { importModule });

    // Assess
    expect(asked).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(info).toEqual({
      name: 'tensorflow',
      version: '4.22.0-test',
      detail: '@tensorflow/tfjs-node',
      device: 'cpu',
      threads: os.availableParallelism(),
    });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it.each([
    { description: 'a GPU the driver names', gpu: true, model: 'Tesla T4', device: 'Tesla T4' },
    { description: 'a GPU the driver does not name', gpu: true, model: undefined, device: 'GPU' },
    {
      description: 'tfjs-node-gpu fallen back to CPU kernels',
      gpu: false,
      model: 'Tesla T4',
      device: 'cpu',
    },
  ])('records the device TensorFlow reports: $description', async ({ gpu, model, device }) => {
    // Prepare
    const { importModule } = importing({
      '@tensorflow/tfjs-node-gpu': fakeTensorflowBinding({ 'tfjs-node-gpu': '4.22.0' }, gpu),
    });
    // Act
    const info = await selectBackend('tensorflow', { importModule, gpuModel: async () => model });
    // Assess
    expect(info).toMatchObject({ name: 'tensorflow', detail: '@tensorflow/tfjs-node-gpu', device });
    expect(isGpuDevice(info)).toBe(device !== 'cpu');
  });

  it('falls back to cpu when wasm does not load either', async () => {
    // Prepare
    const { importModule } = importing({});

    // Act
    const info = await selectBackend(undefined, { importModule });

    // Assess
    expect(info.name).toBe('cpu');
    expect(info.version).toBe(tf.version_core);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('uses a forced backend even when a better one is available', async () => {
    // Prepare
    const { asked, importModule } = importing({
      '@tensorflow/tfjs-node-gpu': fakeTensorflowBinding({ 'tfjs-node-gpu': '4.22.0' }),
    });

    // Act
    const info = await selectBackend('cpu', { importModule });

    // Assess
    expect(asked).toEqual([]);
    expect(info.name).toBe('cpu');
  });

  const unavailable = [
    {
      description: 'tensorflow, with neither binding installed',
      forced: 'tensorflow' as const,
      message:
        /backend "tensorflow" could be loaded \(tensorflow: @tensorflow\/tfjs-node-gpu is not installed or does not load \(Cannot find package '@tensorflow\/tfjs-node-gpu'\); @tensorflow\/tfjs-node is not installed/,
    },
    {
      description: 'wasm, when its package does not load',
      forced: 'wasm' as const,
      message:
        /backend "wasm" could be loaded \(wasm: @tensorflow\/tfjs-backend-wasm does not load/,
    },
  ];

  it.each(unavailable)('fails with the reason when forced to $description', async (row) => {
    // Prepare
    const { importModule } = importing({});

    // Act
    const select = selectBackend(row.forced, { importModule });

    // Assess
    await expect(select).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend(row.forced, { importModule })).rejects.toThrow(row.message);
  });

  it('keeps a started wasm backend, and the tensors on it, when asked for other threads', async () => {
    // Prepare
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    await selectBackend('wasm', { wasmThreads: 2 });
    const kept = tf.tensor1d([1, 2, 3]);

    // Act
    const replaced = registerThreadedWasmBackend(wasm, 4);
    const again = await selectBackend('wasm', { wasmThreads: 4 });

    // Assess
    expect(replaced).toBe(false);
    expect(again.detail).toBe('wasm simd, 2 threads');
    expect(Array.from(await kept.data())).toEqual([1, 2, 3]);
    kept.dispose();
  });
});

describe('the wasm backend default threads', () => {
  it('reads Linux CPU lists as the kernel writes them', () => {
    // Prepare / Act / Assess: lists as thread_siblings_list shows them on SMT and non-SMT hosts.
    expect(countCpuList('0\n')).toBe(1);
    expect(countCpuList('0,64\n')).toBe(2);
    expect(countCpuList('0-1\n')).toBe(2);
    expect(countCpuList('0-3,8-11')).toBe(8);
    expect(countCpuList('')).toBe(0);
    expect(countCpuList('garbage')).toBe(0);
  });

  it('gives one thread per physical core: every vCPU without SMT, half of them with 2-way SMT', () => {
    // Prepare
    const cpus = os.availableParallelism();
    // Act
    const withoutSmt = defaultWasmThreads(1);
    const withSmt = defaultWasmThreads(2);
    // Assess
    expect(withoutSmt).toBe(Math.min(8, cpus));
    expect(withSmt).toBe(Math.max(1, Math.min(8, Math.floor(cpus / 2))));
  });
});
