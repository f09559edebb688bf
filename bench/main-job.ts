/**
 * The main job against PyTorch: wall time of `autograder grade SUBMISSION` on the full CIFAR-10
 * copy (a fresh process: start-up, data, training every experiment, evaluation, scoring, the
 * result file) against PyTorch training the same networks one after another, at the same
 * settings, in one fresh process (bench/torch_fidelity.py: start-up, data, training, evaluation).
 * The two take turns for `--rounds` rounds; the ratio is the median of the per-round ratios.
 *
 *   npx tsx bench/main-job.ts [--submission rubric/examples/three-experiments.json]
 *                             [--rounds 2] [--workers N] [--torch-threads 2]
 *
 * `--workers` is passed to the grader (default: its own, one per CPU). Target: ratio ≤ 1.0
 * (the grader no slower than PyTorch). Skips with a message when the CIFAR-10 copy is absent.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CIFAR10_TEST_FILE } from '../src/data/types.js';
import type { Submission } from '../src/spec/types.js';
import { median } from './alternated-rates.js';
import { benchCifarDir } from './cifar-dir.js';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_fidelity.py', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/autograder.js', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    submission: { type: 'string', default: 'rubric/examples/three-experiments.json' },
    rounds: { type: 'string', default: '2' },
    workers: { type: 'string' },
    'torch-threads': { type: 'string', default: '2' },
  },
});
const run = promisify(execFile);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return (performance.now() - start) / 1000;
}

interface TorchLine {
  name: string;
  testAccuracy: number;
}

async function main(): Promise<void> {
  const dataDir = benchCifarDir();
  if (!existsSync(path.join(dataDir, CIFAR10_TEST_FILE))) {
    process.stdout.write(`main-job: skipped, no CIFAR-10 copy at ${dataDir}\n`);
    return;
  }
  const submissionFile = path.resolve(root, values.submission);
  const submission = JSON.parse(await readFile(submissionFile, 'utf8')) as Submission;
  const settings = submission.experiments.map((e) => e.training ?? {});
  const first = settings[0];
  if (
    first === undefined ||
    settings.some(
      (s) =>
        (s.optimizer ?? 'adam') !== 'adam' ||
        (s.lr ?? 1e-3) !== (first.lr ?? 1e-3) ||
        (s.batch_size ?? 64) !== (first.batch_size ?? 64),
    )
  ) {
    throw new Error('the PyTorch side trains every experiment with one Adam setting');
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'main-job-'));
  const request = path.join(dir, 'request.json');
  const resultFile = path.join(dir, 'result.json');
  await writeFile(
    request,
    JSON.stringify({
      dataDir,
      epochs: 3,
      batchSize: first.batch_size ?? 64,
      lr: first.lr ?? 1e-3,
      seeds: [42],
      threads: Number(values['torch-threads']),
      limitTrain: null,
      networks: submission.experiments.map((e) => ({ name: e.name, layers: e.layers })),
    }),
  );
  const workers = values.workers === undefined ? [] : ['--workers', values.workers];
  process.stdout.write(
    `${new Date().toISOString()}: main job ${values.submission} (${submission.experiments.length} experiments) ` +
      `vs PyTorch (${values['torch-threads']} threads) training them one after another; load ${load()}\n`,
  );
  const ratios: number[] = [];
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      const grader = await timed(() =>
        run(
          process.execPath,
          [CLI, 'grade', submissionFile, '--data', dataDir, '--out', resultFile, ...workers],
          { maxBuffer: 64 * 1024 * 1024 },
        ),
      );
      const result = JSON.parse(await readFile(resultFile, 'utf8')) as {
        score: number;
        extra_data: { experiments: { name: string; test_accuracy: number | null }[] };
      };
      let torchStdout = '';
      const torch = await timed(async () => {
        torchStdout = (await run(PYTHON, [TORCH_SCRIPT, request], { maxBuffer: 16 * 1024 * 1024 }))
          .stdout;
      });
      const torchLines = torchStdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as TorchLine);
      ours.push(grader);
      theirs.push(torch);
      ratios.push(grader / torch);
      const accuracies = (xs: { name: string; value: number | null }[]) =>
        xs.map((x) => `${x.name} ${x.value?.toFixed(2) ?? '—'}%`).join(', ');
      process.stdout.write(
        `  round ${round}: grader ${grader.toFixed(1)} s (score ${result.score}; ${accuracies(result.extra_data.experiments.map((e) => ({ name: e.name, value: e.test_accuracy })))}), ` +
          `PyTorch ${torch.toFixed(1)} s (${accuracies(torchLines.map((t) => ({ name: t.name, value: t.testAccuracy })))}); load ${load()}\n`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\n| main job | grader s | PyTorch sequential s | grader / PyTorch |\n|---|--:|--:|--:|\n` +
      `| ${values.submission} | ${median(ours).toFixed(1)} | ${median(theirs).toFixed(1)} | ${median(ratios).toFixed(2)}× |\n` +
      `${new Date().toISOString()}: load average after ${load()}\n`,
  );
}

await main();
