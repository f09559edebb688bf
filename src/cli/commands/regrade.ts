import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { calibrationLookup, type GradeDeps, gradeFiles } from '../../grade/index.js';
import { DEFAULT_RUBRIC, formatScore } from '../../rubric/index.js';
import {
  buildReport,
  DirectoryJsonSource,
  latestSubmissions,
  loadResults,
  parseStudentList,
  type RegradeTarget,
  type ReportRow,
  regradeOnStack,
  regradeResultKey,
  resolveStack,
  S3JsonSource,
  StaffCommandError,
} from '../../staff/index.js';
import { createS3Client } from '../../storage/index.js';
import { createProgressReporter } from '../../train/index.js';
import { cliStaffConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import {
  ensureTrainingData,
  sharedSetup,
  TRAINING_OPTIONS,
  trainingFlags,
  trainingWorkers,
} from '../training-flags.js';
import type { CliIo, Command } from '../types.js';

const USAGE = `autograder regrade DIR [--students a,b] [--data DIR] [--backend NAME] [--seed N] [--limit-train N] [--limit-test N] [--workers N]
       autograder regrade --stack STACK [--students a,b]`;

const HELP = `Usage: ${USAGE}

Grades each student's latest submission again (after a rubric fix, say), with the rubric this
version ships. Every regrade writes a new result file beside the student's other results
(locally <name>.regrade-<time>.json; on the stack the regrade's own results/<student>/<id>.json);
nothing is overwritten, and "autograder report" then takes the newest and shows which rubric
version each score comes from.

  DIR              a folder with submissions/<student>/<name>.json (e.g. a copy of the bucket);
                   results go to DIR/results/<student>/
  --stack STACK    regrade on AWS through the submission lifecycle: each regrade is a new
                   submission record ("<time>-regrade", regrade of the original id) whose
                   job intake starts as for an upload; its result is results/<student>/<id>.json
                   and students see it in their history (AWS credentials needed)
  --students a,b   only these students (default: everyone with a submission)
  --data, --backend, --seed, --limit-train, --limit-test, --workers: as for "autograder grade"
                   (local only)

Exit status: 0 every regrade graded (or queued, with --stack), 1 some were rejected or failed
(or could not be started), 2 usage error or unreadable input.`;

function previousRows(rows: readonly ReportRow[]): Map<string, ReportRow> {
  return new Map(rows.map((r) => [r.student, r]));
}

async function regradeLocally(
  dir: string,
  targets: readonly RegradeTarget[],
  values: Parameters<typeof trainingFlags>[0] & { workers?: string },
  io: CliIo,
): Promise<number> {
  const resultsDir = path.join(dir, 'results');
  const before = (await stat(resultsDir).catch(() => undefined))?.isDirectory()
    ? await loadResults(new DirectoryJsonSource(resultsDir))
    : { results: [], unreadable: [] };
  const previous = previousRows(buildReport(before.results, before.unreadable).rows);
  const flags = trainingFlags(values, io);
  await ensureTrainingData(flags, io);
  const setup = sharedSetup(flags);
  const reporter = createProgressReporter({ isTTY: io.isTTY, write: io.stdout });
  const deps: Omit<GradeDeps, 'writeResult' | 'train' | 'concurrency'> = {
    ...setup,
    slice: flags.slice,
    seed: flags.seed,
    lookupCalibration: calibrationLookup(flags.cacheDir),
    onProgress: (progress) => reporter.update(progress),
    onEvent: (event) => {
      if (event.type === 'experiment-end' || event.type === 'recheck-end') {
        reporter.finish(event.outcome);
      }
      if (event.type === 'recheck')
        io.stdout(`  re-checking ${event.name} with ${event.seeds.length} more seeds\n`);
      if (event.type === 'experiment-start')
        io.stdout(`  [${event.index + 1}/${event.total}] ${event.name}\n`);
    },
  };
  const resultFiles = new Map<string, string>();
  const now = new Date();
  for (const target of targets) {
    const key = await regradeResultKey(target.key, now, async (k) =>
      Boolean(await stat(path.join(resultsDir, ...k.split('/'))).catch(() => undefined)),
    );
    resultFiles.set(
      path.join(dir, 'submissions', ...target.key.split('/')),
      path.join(resultsDir, ...key.split('/')),
    );
  }
  const parallel = trainingWorkers(values.workers, setup, io);
  let graded: Awaited<ReturnType<typeof gradeFiles>>;
  try {
    graded = await gradeFiles({
      files: [...resultFiles.keys()],
      resultFileFor: (file) => resultFiles.get(file) ?? file,
      sourceFor: (file) => path.relative(dir, file).split(path.sep).join('/'),
      deps: { ...deps, train: parallel.train, concurrency: parallel.concurrency },
      concurrency: parallel.concurrency,
      onFileStart: (file, index, total) =>
        io.stdout(`(${index + 1}/${total}) Regrading ${shownPath(io, file)}\n`),
    });
  } finally {
    await parallel.close();
  }
  io.stdout(
    `\nRegraded ${graded.length} submission${graded.length === 1 ? '' : 's'} with rubric ${DEFAULT_RUBRIC.version}:\n`,
  );
  const width = Math.max(...targets.map((t) => t.student.length), 7);
  for (const [index, g] of graded.entries()) {
    const target = targets[index];
    if (!target) continue;
    const old = previous.get(target.student);
    const was = old
      ? `was ${formatScore(old.total)} (rubric ${old.rubricVersion})`
      : 'no earlier result';
    io.stdout(
      `  ${target.student.padEnd(width)}  ${formatScore(g.result.score).padStart(4)} / ${formatScore(g.result.tests.reduce((s, t) => s + t.max_score, 0))}  ${g.result.extra_data.outcome.padEnd(8)}  ${was}  → ${shownPath(io, g.resultFile)}\n`,
    );
  }
  io.stdout(`\nSee the gradebook: autograder report ${shownPath(io, resultsDir)}\n`);
  return graded.every((g) => g.result.extra_data.outcome === 'graded') ? 0 : 1;
}

async function regradeStack(
  stackName: string,
  students: string[] | undefined,
  io: CliIo,
): Promise<number> {
  const { s3Endpoint } = cliStaffConfig(io);
  const stack = await resolveStack(stackName, new CloudFormationClient({}));
  const s3 = createS3Client(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {});
  const listings = await new S3JsonSource(s3, stack.submissionsBucket, stack.uploadPrefix).list();
  const { targets, missing } = latestSubmissions(listings, students);
  if (missing.length > 0) throw new UsageError(`no submissions for: ${missing.join(', ')}`);
  if (targets.length === 0)
    throw new UsageError(`no submissions in s3://${stack.submissionsBucket}/${stack.uploadPrefix}`);
  const outcomes = await regradeOnStack(stack, targets, { s3 });
  const queued = outcomes.filter((o) => o.status === 'queued');
  io.stdout(
    `Regrading ${outcomes.length} submission${outcomes.length === 1 ? '' : 's'}: ${queued.length} queued on ${stack.jobQueueArn}\n`,
  );
  const width = Math.max(...outcomes.map((o) => o.target.student.length), 7);
  for (const o of outcomes) {
    const job = o.jobId ? `job ${o.jobId}` : (o.detail ?? '');
    io.stdout(
      `  ${o.target.student.padEnd(width)}  ${o.status.padEnd(8)}  ${o.id} (regrade of ${o.regradeOf || '?'})  ${job}  → s3://${stack.resultsBucket}/${o.resultKey}\n`,
    );
  }
  io.stdout(
    `\nWatch them: autograder status --stack ${stackName}; then autograder report --stack ${stackName}\n`,
  );
  return outcomes.every((o) => o.status === 'queued') ? 0 : 1;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      ...TRAINING_OPTIONS,
      stack: { type: 'string' },
      students: { type: 'string' },
      workers: { type: 'string' },
    },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const students = values.students === undefined ? undefined : parseStudentList(values.students);
  if (students?.length === 0) throw new UsageError('--students names no student');
  try {
    if (values.stack !== undefined) {
      if (positionals.length > 0) throw new UsageError('give DIR or --stack, not both');
      const local = ['data', 'backend', 'seed', 'limit-train', 'limit-test', 'workers'] as const;
      const given = local.filter((name) => values[name] !== undefined);
      if (given.length > 0) {
        throw new UsageError(
          `--${given[0]} applies to a local regrade; the stack's jobs use the grader image's settings`,
        );
      }
      return await regradeStack(values.stack, students, io);
    }
    if (positionals.length !== 1 || positionals[0] === undefined) {
      throw new UsageError('expected one directory holding submissions/ (or --stack STACK)');
    }
    const dir = path.resolve(io.cwd, positionals[0]);
    const submissions = path.join(dir, 'submissions');
    if (!(await stat(submissions).catch(() => undefined))?.isDirectory()) {
      throw new UsageError(
        `${positionals[0]} has no submissions/ folder (submissions/<student>/<name>.json)`,
      );
    }
    const { targets, missing } = latestSubmissions(
      await new DirectoryJsonSource(submissions).list(),
      students,
    );
    if (missing.length > 0) throw new UsageError(`no submissions for: ${missing.join(', ')}`);
    if (targets.length === 0)
      throw new UsageError(`no submissions in ${shownPath(io, submissions)}`);
    return await regradeLocally(dir, targets, values, io);
  } catch (error) {
    if (error instanceof StaffCommandError) throw new UsageError(error.message);
    throw error;
  }
}

export const command: Command = { usage: USAGE, run };
