export { ADAM_UPDATE, type AdamUpdateAttrs, hasFusedAdam } from './adam-update.js';
export { WasmKernelError } from './errors.js';
export { registerWasmKernels } from './register.js';
