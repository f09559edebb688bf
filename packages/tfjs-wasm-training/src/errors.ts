/** A gradient fill-in asked to do something it does not support, or registered at the wrong time. */
export class WasmKernelError extends Error {
  override name = 'WasmKernelError';
}
