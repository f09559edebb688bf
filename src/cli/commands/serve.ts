import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parallelTraining } from '../../grade/index.js';
import { startLocalService, studentsDirOf } from '../../service/local-service.js';
import { cliConfig } from '../config.js';
import { parseCommandArgs } from '../parse-args.js';
import { shown, stateDir } from '../state-flags.js';
import { integerFlag, sharedSetup, TRAINING_OPTIONS, trainingFlags } from '../training-flags.js';
import type { CliIo, Command } from '../types.js';

const USAGE =
  'autograder serve [--port N] [--state DIR] [--data DIR] [--backend tensorflow|wasm|cpu] [--limit-train N] [--limit-test N] [--quota N]';

const HELP = `Usage: ${USAGE}

Serves the students' page at / and the API at /api/ on 127.0.0.1 only, with the stores as
files under the state directory, which one serve holds at a time. Submissions are validated,
stored, and graded one at a time on a worker thread (the others wait in the queue). Prints
"Listening on URL" first.
Issue tokens with "autograder students add NAME --state DIR". Stop with Ctrl-C.

  --port N          the port (default 8080; 0 picks a free one)
  --state DIR       students, submissions and results (default: .autograder-state)
  --data DIR        CIFAR-10 binaries (default: AUTOGRADER_CIFAR10_DIR, else
                    ~/.cache/cifar10-autograder/cifar-10-batches-bin; fetched there on first use)
  --backend NAME    force an engine (default: AUTOGRADER_BACKEND, else the best that loads)
  --limit-train N   train on the first N training images (a quick try, not a grade)
  --limit-test N    evaluate on the first N test images
  --quota N         submissions per student per rolling 24 hours (default: the rubric's)`;

async function run(args: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const { seed: _seed, ...training } = TRAINING_OPTIONS;
  const { values } = parseCommandArgs({
    args,
    options: {
      ...training,
      port: { type: 'string' },
      state: { type: 'string' },
      quota: { type: 'string' },
    },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const port = integerFlag('port', values.port, 0) ?? 8080;
  const quota = integerFlag('quota', values.quota, 0);
  const flags = trainingFlags(values, io);
  const dir = stateDir(values, io);
  const setup = sharedSetup(flags);
  // Jobs train on a worker thread: this one answers HTTP (and renews intake's leases) meanwhile.
  const trainer = parallelTraining({
    workers: 1,
    selectBackend: setup.selectBackend,
    wasmThreads: cliConfig(io).wasmThreads ?? 1,
    offMainThread: true,
  });
  const service = await startLocalService({
    stateDir: dir,
    port,
    ...setup,
    train: trainer.train,
    ...(flags.slice ? { slice: flags.slice } : {}),
    ...(quota !== undefined ? { quota } : {}),
    report: (line) => io.stdout(`${line}\n`),
    onListening: (url) => io.stdout(`Listening on ${url}\n`),
  });
  const where = shown(io, dir);
  const students = await readdir(path.join(studentsDirOf(dir), 'students')).catch(() => []);
  io.stdout(
    `State in ${where}${students.length === 0 ? `; no students yet: autograder students add NAME --state ${where}` : ''}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  io.stdout('Stopping: finishing the HTTP requests in flight\n');
  await service.close();
  await trainer.close();
  return 0;
}

export const command: Command = { usage: USAGE, run: (args, io) => run(args, io) };
