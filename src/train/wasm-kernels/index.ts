export { WasmKernelError } from './errors.js';
export { registerWasmKernels } from './register.js';
