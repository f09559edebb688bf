import type { Command } from './types.js';

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

/** The CLI's commands. Each module loads only when its command runs, so `validate` never pays for TensorFlow.js. */
export const COMMANDS: Record<string, CommandEntry> = {
  validate: {
    summary: 'check a submission file: format, shapes, parameter budget (exit 0 valid, 1 invalid)',
    load: async () => (await import('./commands/validate.js')).command,
  },
  summary: {
    summary:
      'print each experiment layer by layer: output shape, parameters, MACs (like torchinfo)',
    load: async () => (await import('./commands/summary.js')).command,
  },
  grade: {
    summary: 'train and score a submission (or a directory of them) and write its result file',
    load: async () => (await import('./commands/grade.js')).command,
  },
  calibrate: {
    summary: 'train the MLP baseline on this backend and data and store its accuracy for task 3.3',
    load: async () => (await import('./commands/calibrate.js')).command,
  },
  import: {
    summary: 'turn a model exported from PyTorch (torch.onnx.export) into a submission file',
    load: async () => (await import('./commands/import.js')).command,
  },
  pipeline: {
    summary: 'run the upload → validate → job → result flow locally, on a loopback S3 server',
    load: async () => (await import('./commands/pipeline.js')).command,
  },
  students: {
    summary: "issue, list and revoke students' personal tokens (add, import, list, revoke)",
    load: async () => (await import('./commands/students.js')).command,
  },
  serve: {
    summary: "serve the students' page and API on 127.0.0.1, grading in this process",
    load: async () => (await import('./commands/serve.js')).command,
  },
};
