export { WasmKernelError } from './errors.js';
export { registerWasmKernels, WASM_FILL_IN_KERNELS } from './register.js';
