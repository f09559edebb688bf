import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { SIMD_MODULE_PLAIN, SIMD_MODULE_SHARED } from '../src/simd-module.generated.js';
import { simdKernels } from '../src/simd-module.js';
import { wasmApi } from '../src/webassembly-api.js';
import { startWasm } from './helpers/wasm.js';

describe('the SIMD kernel module', () => {
  it.each([
    { build: 'plain', base64: SIMD_MODULE_PLAIN, shared: false },
    { build: 'shared', base64: SIMD_MODULE_SHARED, shared: true },
  ])('imports nothing but the backend’s memory ($build)', ({ base64, shared }) => {
    // Prepare
    const bytes = Buffer.from(base64, 'base64');

    // Act
    const module = new wasmApi.Module(bytes);

    // Assess: no abort or other host function, and no data segment that would write into the
    // backend's heap when instantiated.
    expect(wasmApi.Module.imports(module)).toEqual([
      { module: 'env', name: 'memory', kind: 'memory' },
    ]);
    expect(hasSection(bytes, DATA_SECTION)).toBe(false);
    expect(
      wasmApi.Module.exports(module)
        .map((e) => e.name)
        .sort(),
    ).toEqual([
      'adamStep',
      'addInto',
      'batchNormBackward',
      'batchNormForward',
      'biasRelu',
      'biasReluGrad',
      'conv2dBackpropInput',
      'conv2dFilterGrad',
      'conv2dForward',
      'copyRuns',
      'cropNhwc',
      'depthwiseFilterGrad',
      'depthwiseInputGrad',
      'maxPool2x2',
      'maxPool2x2Grad',
      'padNhwc',
      'reluGrad',
      'smallMatMul',
    ]);
    // The shared build instantiates on a shared memory, the plain one on an ordinary one.
    const memory = new wasmApi.Memory(
      shared ? { initial: 1, maximum: 65536, shared: true } : { initial: 1 },
    );
    expect(() => new wasmApi.Instance(module, { env: { memory } })).not.toThrow();
  });

  it('runs on the wasm backend’s heap', async () => {
    // Prepare
    await startWasm(1);

    // Act
    const kernels = simdKernels(tf.backend() as BackendWasm);

    // Assess: without them every SIMD path would silently fall back.
    expect(kernels).not.toBeNull();
  });
});

const DATA_SECTION = 11;

/** Whether a wasm binary has a section with this id (walking the section headers). */
function hasSection(bytes: Uint8Array, id: number): boolean {
  let at = 8; // magic and version
  while (at < bytes.length) {
    const sectionId = bytes[at] as number;
    at += 1;
    let size = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at] as number;
      at += 1;
      size |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    if (sectionId === id) return true;
    at += size;
  }
  return false;
}
