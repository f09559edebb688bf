import { open } from 'node:fs/promises';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_RUBRIC } from '../../rubric/default-rubric.js';
import { formatValidation, validateSubmission } from '../../spec/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import type { CliIo, Command } from '../types.js';

const USAGE = 'autograder validate FILE [--json]';

/**
 * Reads a submission file, at most one byte past the rubric's size cap: the validator then
 * refuses an oversized file without this process ever holding tens of megabytes.
 * A file that cannot be read is a usage problem (exit 2), not an invalid submission.
 */
export async function readSubmissionFile(
  file: string,
  io: CliIo,
  maxBytes: number = DEFAULT_RUBRIC.limits.max_file_bytes,
): Promise<Uint8Array> {
  const resolved = path.resolve(io.cwd, file);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(resolved, 'r');
    const info = await handle.stat();
    if (info.isDirectory()) throw new UsageError(`cannot read ${file}: it is a directory`);
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
      ENOENT: 'no such file',
      EACCES: 'permission denied',
      EISDIR: 'it is a directory',
    };
    const reason =
      (code && reasons[code]) ?? (error instanceof Error ? error.message : String(error));
    throw new UsageError(`cannot read ${file}: ${reason}`);
  } finally {
    await handle?.close();
  }
}

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
        `Usage: ${USAGE}\n\nChecks a submission against the rubric without training it.\n  --json  print {"valid", "errors": [{"path", "message"}], "experiments": [{"name", "params", "macs", "output_shape"}]}\n\nExit status: 0 valid, 1 invalid, 2 usage error or unreadable file.\n`,
      );
      return 0;
    }
    const bytes = await readSubmissionFile(parsed.file, io);
    const result = validateSubmission(bytes);
    if (parsed.flags.has('json')) {
      const report = {
        valid: result.valid,
        errors: result.errors.map(({ path: pointer, message }) => ({ path: pointer, message })),
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
    }
    return result.valid ? 0 : 1;
  },
};
