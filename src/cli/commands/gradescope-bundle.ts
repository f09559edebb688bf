import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../config.js';
import { buildGradescopeBundle, GradescopeBundleError } from '../../gradescope/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import type { CliIo, Command } from '../types.js';

const USAGE = 'autograder gradescope-bundle [--out autograder.zip]';

const HELP = `Usage: ${USAGE}

Writes a Gradescope autograder zip. Upload it as the assignment's autograder ("Ubuntu" base
image). Gradescope runs its setup.sh once when it builds the image (Node, TensorFlow.js and
CIFAR-10 are installed then) and its run_autograder for every submission: the student's one
.json file is trained on the CPU with the wasm engine and scored into results/results.json.

  --out FILE   where to write the zip (default: autograder.zip)

Exit status: 0 written, 2 usage error or the bundle cannot be built here.`;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: false,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('takes no arguments besides --out');
  const out = path.resolve(io.cwd, values.out ?? 'autograder.zip');
  let bundle: Awaited<ReturnType<typeof buildGradescopeBundle>>;
  try {
    bundle = await buildGradescopeBundle(packageRoot());
  } catch (error) {
    if (error instanceof GradescopeBundleError) throw new UsageError(error.message);
    throw error;
  }
  await writeFile(out, bundle.zip);
  io.stdout(
    `Gradescope autograder written to ${shownPath(io, out)} (${bundle.zip.length} bytes):\n`,
  );
  for (const file of bundle.files) io.stdout(`  ${file.name.padEnd(24)} ${file.bytes} bytes\n`);
  return 0;
}

export const command: Command = { usage: USAGE, run };
