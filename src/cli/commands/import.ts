import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonFile } from '../../grade/files.js';
import { formatImportReport, importedProblems } from '../../import-onnx/format.js';
import {
  experimentNameFromFile,
  type ImportedSubmission,
  importOnnx,
  placeholderPaths,
} from '../../import-onnx/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import { readCappedFile } from '../read-file.js';
import type { CliIo, Command } from '../types.js';

const USAGE =
  'autograder import MODEL.onnx [--name NAME] [--out FILE] [--add-to SUBMISSION.json [--final]] [--params N] [--accuracy PCT] [--keep-folded-batchnorm] [--force]';

const HELP = `Usage: ${USAGE}

Turns a model exported from PyTorch with torch.onnx.export into a submission file whose
"layers" reproduce the network. Export from your notebook with:

  model.eval()
  torch.onnx.export(model, torch.zeros(1, 3, 32, 32), "model.onnx",
                    training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)

  --name NAME               the experiment's name (default: the file's name, e.g. "model")
  --out FILE                where to write the submission (default: MODEL.json beside the model;
                            "-" prints it)
  --add-to SUBMISSION.json  add the model as one more experiment to that submission (task 4.1
                            wants two or more) and write it back (or to --out)
  --final                   with --add-to: grade this experiment as the final network
  --params N                the parameter count you computed (task 3.2); else a placeholder
  --accuracy PCT            your test accuracy in percent; else a placeholder
  --keep-folded-batchnorm   import convolutions into which the export folded BatchNorm as they are,
                            instead of refusing the file
  --force                   overwrite FILE if it exists

Exit status: 0 written, 1 the model cannot be imported or breaks the rubric (the errors say
where), 2 usage error or unreadable file.`;

/** A network within the parameter budget is about 1.2 MB; anything this large is not one. */
const MAX_MODEL_BYTES = 64 * 1024 * 1024;

/** The schema's experiment-name pattern. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.()+-]*$/;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      name: { type: 'string' },
      out: { type: 'string' },
      params: { type: 'string' },
      accuracy: { type: 'string' },
      'keep-folded-batchnorm': { type: 'boolean' },
      force: { type: 'boolean' },
      'add-to': { type: 'string' },
      final: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const [model, ...extra] = positionals;
  if (model === undefined) throw new UsageError('missing MODEL.onnx');
  if (extra.length > 0) throw new UsageError(`expected one MODEL.onnx, got ${positionals.length}`);
  const name = values.name ?? experimentNameFromFile(model);
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(
      `--name "${name}" is not a valid experiment name: use letters, digits, spaces and _ . - + ( ), starting with a letter or digit`,
    );
  }
  const params = parseFigure(values.params, '--params', (n) => Number.isInteger(n) && n >= 0);
  const accuracy = parseFigure(values.accuracy, '--accuracy', (n) => n >= 0 && n <= 100);
  if (values.final && values['add-to'] === undefined) {
    throw new UsageError('--final goes with --add-to (a new file has only this experiment)');
  }
  const source = path.resolve(io.cwd, model);
  const base = values['add-to'] === undefined ? undefined : await readBase(values['add-to'], io);
  const toStdout = values.out === '-';
  const defaultTarget = base?.file ?? model.replace(/\.onnx$/i, '').concat('.json');
  const target = toStdout ? undefined : path.resolve(io.cwd, values.out ?? defaultTarget);
  if (target === source) throw new UsageError('--out must not be the model file itself');
  if (base?.submission.experiments.some((e) => e.name === name)) {
    throw new UsageError(
      `${values['add-to']} already has an experiment named "${name}"; choose another with --name`,
    );
  }
  const overwriting = target !== undefined && target !== base?.file;
  if (overwriting && !values.force && (await stat(target).catch(() => undefined))) {
    throw new UsageError(
      `${shownPath(io, target)} already exists (it may hold figures you filled in); use --force to overwrite it, or --out to write elsewhere`,
    );
  }

  const bytes = await readModel(model, io);
  const reported = {
    ...(params === undefined ? {} : { params }),
    ...(accuracy === undefined ? {} : { test_accuracy: accuracy }),
  };
  const result = importOnnx(bytes, {
    name,
    reported,
    foldedBatchNorm: values['keep-folded-batchnorm'] ? 'keep' : 'refuse',
  });
  if (!result.ok) {
    const keep = result.error.foldedBatchNorm
      ? ' To import the folded convolutions as they are instead, use --keep-folded-batchnorm.'
      : '';
    io.stderr(`Cannot import ${model}: ${result.error.message}${keep}\n`);
    return 1;
  }
  const imported = result.submission.experiments[0];
  const submission: ImportedSubmission =
    base && imported
      ? {
          ...base.submission,
          experiments: [...base.submission.experiments, imported],
          final: values.final ? name : base.submission.final,
        }
      : result.submission;
  const placeholders = placeholderPaths(submission);
  const problems = importedProblems(submission, placeholders);
  if (!target) {
    io.stdout(`${JSON.stringify(submission, null, 2)}\n`);
  } else {
    await writeJsonFile(target, submission);
    const written = { ...result, submission, placeholders };
    io.stdout(formatImportReport(written, model, shownPath(io, target)));
  }
  if (problems.length === 0) return 0;
  const lines = problems.map((p) => `  ✗ ${p.message}${p.path ? `\n      at ${p.path}` : ''}`);
  io.stderr(
    `\nThe network was imported, but the grader would refuse it as it is:\n${lines.join('\n')}\n`,
  );
  return 1;
}

/** The submission --add-to names: any JSON object with an experiments list (the validator judges the rest). */
async function readBase(
  file: string,
  io: CliIo,
): Promise<{ file: string; submission: ImportedSubmission }> {
  const resolved = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}: no such file`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${(error as Error).message})`);
  }
  const experiments = (document as { experiments?: unknown } | null)?.experiments;
  if (typeof document !== 'object' || document === null || !Array.isArray(experiments)) {
    throw new UsageError(`${file} is not a submission: it has no "experiments" list`);
  }
  return { file: resolved, submission: document as ImportedSubmission };
}

/** The model's bytes, read through the cap, so a device or a FIFO cannot make it read gigabytes. */
async function readModel(shown: string, io: CliIo): Promise<Uint8Array> {
  const bytes = await readCappedFile(shown, io, MAX_MODEL_BYTES);
  if (bytes.length > MAX_MODEL_BYTES) {
    throw new UsageError(
      `${shown} is larger than ${MAX_MODEL_BYTES / 1024 / 1024} MB; a network within the assignment's parameter budget is about 1 MB as ONNX`,
    );
  }
  return bytes;
}

function parseFigure(
  text: string | undefined,
  flag: string,
  ok: (n: number) => boolean,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !ok(value)) {
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} is not ${flag === '--params' ? 'a whole number' : 'a percentage between 0 and 100'}`,
    );
  }
  return value;
}

export const command: Command = { usage: USAGE, run };
