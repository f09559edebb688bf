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
  data: {
    summary: 'fetch CIFAR-10 (the official archive, md5-checked) into the data directory',
    load: async () => (await import('./commands/data.js')).command,
  },
  import: {
    summary: 'turn a model exported from PyTorch (torch.onnx.export) into a submission file',
    load: async () => (await import('./commands/import.js')).command,
  },
  pipeline: {
    summary: 'run the upload → validate → job → result flow locally, on a loopback S3 server',
    load: async () => (await import('./commands/pipeline.js')).command,
  },
  report: {
    summary:
      "gradebook of every student's latest graded submission: table, distribution, CSV (Canvas, Gradescope), chart",
    load: async () => (await import('./commands/report.js')).command,
  },
  regrade: {
    summary:
      "grade every student's latest submission again (or --students a,b), locally or on the stack; new result files",
    load: async () => (await import('./commands/regrade.js')).command,
  },
  'gradescope-bundle': {
    summary:
      'write a Gradescope autograder zip that grades on their CPU workers with the wasm engine',
    load: async () => (await import('./commands/gradescope-bundle.js')).command,
  },
  status: {
    summary: "the deployed stack's grading jobs: queued, running, failed, finished, oldest waiting",
    load: async () => (await import('./commands/status.js')).command,
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
