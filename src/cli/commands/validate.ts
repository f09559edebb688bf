import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_RUBRIC, submissionWarnings } from '../../rubric/index.js';
import { formatValidation, validateSubmission } from '../../spec/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { readCappedFile } from '../read-file.js';
import type { Command } from '../types.js';

const USAGE = 'autograder validate FILE [--json]';

/** The one positional FILE of validate and summary, and their boolean flags. */
export function fileArgument(
  args: string[],
  flags: readonly string[] = [],
): { help: true } | { help: false; file: string; flags: Set<string> } {
  const options: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const flag of flags) options[flag] = { type: 'boolean' };
  const { values, positionals } = parseCommandArgs({ args, allowPositionals: true, options });
  if (values.help === true) return { help: true };
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('missing FILE');
  if (extra.length > 0) throw new UsageError(`expected one FILE, got ${positionals.length}`);
  return { help: false, file, flags: new Set(flags.filter((flag) => values[flag] === true)) };
}

export const command: Command = {
  usage: USAGE,
  async run(args, io) {
    const parsed = fileArgument(args, ['json']);
    if (parsed.help) {
      io.stdout(
        `Usage: ${USAGE}\n\nChecks a submission against the rubric without training it.\n  --json  print {"valid", "errors": [{"path", "message"}], "warnings": [{"path", "message"}], "experiments": [{"name", "params", "macs", "output_shape"}]}\n\nA valid file can still lose points as it stands (a wrong count, one experiment only, a fraction\nfor a percentage): each such mistake is a warning, with the points at stake and the fix.\n\nExit status: 0 valid (warnings or not), 1 invalid, 2 usage error or unreadable file.\n`,
      );
      return 0;
    }
    const bytes = await readCappedFile(parsed.file, io, DEFAULT_RUBRIC.limits.max_file_bytes);
    const result = validateSubmission(bytes);
    const warnings = result.valid
      ? submissionWarnings({
          submission: result.submission,
          analyses: result.experiments,
          rubric: DEFAULT_RUBRIC,
        })
      : [];
    if (parsed.flags.has('json')) {
      const report = {
        valid: result.valid,
        errors: result.errors.map(({ path: pointer, message }) => ({ path: pointer, message })),
        warnings,
        experiments: result.experiments.map((e) => ({
          name: e.name,
          params: e.params,
          macs: e.macs,
          output_shape: e.outputShape,
        })),
      };
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.stdout(formatValidation(result, parsed.file));
      if (warnings.length > 0) {
        const count = warnings.length;
        io.stdout(
          `\nValid, but it loses points as it stands (${count} ${count === 1 ? 'warning' : 'warnings'}):\n`,
        );
        for (const warning of warnings) {
          io.stdout(`  ! ${warning.message}\n${warning.path ? `      at ${warning.path}\n` : ''}`);
        }
      }
    }
    return result.valid ? 0 : 1;
  },
};
