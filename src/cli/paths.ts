import path from 'node:path';
import type { CliIo } from './types.js';

/** A path as the user would type it from where they ran the command (the path itself for the cwd). */
export function shownPath(io: CliIo, file: string): string {
  return path.relative(io.cwd, file) || file;
}
