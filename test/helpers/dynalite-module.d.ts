// dynalite ships no types; this declares the part the tests use.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  export interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}
