/**
 * The JavaScript WebAssembly API, as far as this project uses it. Its type libraries (ES2023 and
 * Node 20's) do not declare it, and the DOM library would bring in much else besides.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

export interface WasmModuleEntry {
  module?: string;
  name: string;
  kind: string;
}

export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): WasmModuleEntry[];
    exports(module: object): WasmModuleEntry[];
  };
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: unknown };
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
