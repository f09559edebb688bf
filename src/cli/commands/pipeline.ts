import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type LocalPipelineOptions,
  type LocalUpload,
  runLocalPipeline,
} from '../../pipeline/local-pipeline.js';
import { formatScore, renderResultText } from '../../rubric/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import {
  ensureTrainingData,
  integerFlag,
  sharedSetup,
  TRAINING_OPTIONS,
  trainingFlags,
} from '../training-flags.js';
import type { CliIo, Command } from '../types.js';

const USAGE =
  'autograder pipeline FILE... [--student NAME] [--redeliver] [--out DIR] [--data DIR] [--backend tensorflow|wasm|cpu] [--docker IMAGE [--gpus VALUE]] [--limit-train N] [--limit-test N]';

const HELP = `Usage: ${USAGE}

Runs the deployed flow on this machine, without AWS: starts an S3-protocol server on loopback,
uploads each FILE as submissions/<student>/<file name>, hands each S3 event to on-submission
(a submission record per upload; validate; reject at once, or start one job), runs the jobs
in-process, and prints each upload's result file, results/<student>/<submission id>.json, with
its score.

  --student NAME    the student folder to upload under (default: local)
  --redeliver       deliver every S3 event twice, as S3 may; each upload still starts one job
  --out DIR         also copy each result file to DIR/<student>/<file name>
  --data DIR        CIFAR-10 binaries (default: AUTOGRADER_CIFAR10_DIR, else
                    ~/.cache/cifar10-autograder/cifar-10-batches-bin; fetched there on first use)
  --backend NAME    force an engine (default: AUTOGRADER_BACKEND, else the best that loads)
  --docker IMAGE    run each job in the grader image (docker run --gpus all --network host),
                    as on a GPU workstation; the image brings its own data and engine
  --gpus VALUE      docker's --gpus value with --docker (default: all)
  --limit-train N   train on the first N training images
  --limit-test N    evaluate on the first N test images

Exit status: 0 every upload graded, 1 some upload rejected or its grading failed, 2 usage error.`;

const STUDENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('expected at least one submission file');
  const student = values.student ?? 'local';
  if (!STUDENT.test(student)) {
    throw new UsageError(
      `--student must be letters, digits, ".", "_" or "-" (at most 64), got "${student}"`,
    );
  }
  const uploads: LocalUpload[] = [];
  for (const file of positionals) {
    const name = path.basename(file);
    if (uploads.some((upload) => upload.name === name)) {
      throw new UsageError(`two files are named ${name}; they would upload to the same key`);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path.resolve(io.cwd, file));
    } catch (error) {
      throw new UsageError(
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    uploads.push({ student, name, bytes });
  }
  if (values.gpus !== undefined && values.docker === undefined) {
    throw new UsageError('--gpus applies only with --docker IMAGE');
  }
  let jobs: LocalPipelineOptions['jobs'];
  let slice: LocalPipelineOptions['slice'];
  if (values.docker !== undefined) {
    if (values.data !== undefined || values.backend !== undefined) {
      throw new UsageError('--data and --backend do not apply with --docker: the image has both');
    }
    jobs = { kind: 'docker', image: values.docker, gpus: values.gpus ?? 'all' };
    slice = dockerSlice(values);
  } else {
    const flags = trainingFlags(values, io);
    await ensureTrainingData(flags, io);
    jobs = { kind: 'in-process', ...sharedSetup(flags) };
    slice = flags.slice;
  }

  const reports = await runLocalPipeline({
    uploads,
    jobs,
    ...(slice ? { slice } : {}),
    redeliver: values.redeliver ?? false,
    report: (line) => io.stdout(`${line}\n`),
  });

  io.stdout('\n');
  let allGraded = true;
  for (const report of reports) {
    const { result } = report;
    if (!result || !report.resultKey) {
      allGraded = false;
      io.stdout(`${report.key}: no result file was written\n\n`);
      continue;
    }
    const max = result.tests.reduce((sum, test) => sum + test.max_score, 0);
    io.stdout(
      `${report.key} → ${report.resultKey}: ${formatScore(result.score)} / ${formatScore(max)} (${result.extra_data.outcome})\n`,
    );
    io.stdout(`${renderResultText(result)}\n`);
    if (values.out !== undefined) {
      // Under the uploaded file's own name, which staff recognize more easily than the id.
      const target = path.resolve(io.cwd, values.out, report.key.replace(/^submissions\//, ''));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, `${JSON.stringify(result, null, 2)}\n`);
      io.stdout(`Copied to ${shownPath(io, target)}\n`);
    }
    io.stdout('\n');
    if (result.extra_data.outcome !== 'graded') allGraded = false;
  }
  return allGraded ? 0 : 1;
}

/** --limit-train/--limit-test for a container, which checks no local data directory. */
function dockerSlice(values: {
  'limit-train'?: string;
  'limit-test'?: string;
}): LocalPipelineOptions['slice'] {
  const limitTrain = integerFlag('limit-train', values['limit-train'], 1);
  const limitTest = integerFlag('limit-test', values['limit-test'], 1);
  return {
    ...(limitTrain !== undefined ? { limitTrain } : {}),
    ...(limitTest !== undefined ? { limitTest } : {}),
  };
}

function parse(args: string[]) {
  // Jobs train with the rubric's seed, so --seed is not offered.
  const { seed: _seed, ...training } = TRAINING_OPTIONS;
  return parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      ...training,
      student: { type: 'string' },
      redeliver: { type: 'boolean' },
      out: { type: 'string' },
      docker: { type: 'string' },
      gpus: { type: 'string' },
    },
  });
}

export const command: Command = {
  usage: USAGE,
  run,
};
