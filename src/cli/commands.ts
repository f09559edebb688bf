import type { Command } from './types.js';

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

/** The CLI's commands. Each module loads only when its command runs, so `validate` never pays for TensorFlow.js. */
export const COMMANDS: Record<string, CommandEntry> = {};
