import { DEFAULT_RUBRIC } from '../../rubric/default-rubric.js';
import { formatSummary, formatValidation, summarizeSubmission } from '../../spec/index.js';
import { readCappedFile } from '../read-file.js';
import type { Command } from '../types.js';
import { fileArgument } from './validate.js';

const USAGE = 'autograder summary FILE';

export const command: Command = {
  usage: USAGE,
  async run(args, io) {
    const parsed = fileArgument(args);
    if (parsed.help) {
      io.stdout(
        `Usage: ${USAGE}\n\nPrints a torchinfo-style table per experiment: output shape, parameters and\nmultiply-accumulates of every layer, Residual contents indented, and the totals.\n\nExit status: 0 valid, 1 invalid (the errors follow any tables), 2 usage error or unreadable file.\n`,
      );
      return 0;
    }
    const bytes = await readCappedFile(parsed.file, io, DEFAULT_RUBRIC.limits.max_file_bytes);
    const { result, tables } = summarizeSubmission(bytes);
    const final = result.valid ? result.submission.final : undefined;
    if (tables.length > 0) io.stdout(formatSummary(tables, { final }));
    if (!result.valid) {
      if (tables.length > 0) io.stdout('\n');
      io.stdout(formatValidation(result, parsed.file));
    }
    return result.valid ? 0 : 1;
  },
};
