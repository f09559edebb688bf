import { spawn as spawnProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import type { Spawn } from '../../src/launch/index.js';
import { runLocalPipeline } from '../../src/pipeline/local-pipeline.js';
import { captureIo } from '../helpers/io.js';

const example = (name: string) =>
  fileURLToPath(new URL(`../../rubric/examples/${name}`, import.meta.url));

let work: string;
let dataDir: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'local-pipeline-'));
  dataDir = path.join(work, 'cifar10');
  await writeCifar10Dir(dataDir, syntheticCifar10({ train: 64, test: 32, seed: 3 }));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('autograder pipeline', () => {
  it('grades a valid upload, rejects an invalid one, and starts one job despite redelivered events', async () => {
    // Prepare
    const io = captureIo({ cwd: work });
    const out = path.join(work, 'results');
    // Act
    const code = await main(
      [
        'pipeline',
        example('tiny.json'),
        example('broken/missing-flatten.json'),
        '--student',
        'alice',
        '--redeliver',
        '--data',
        dataDir,
        '--backend',
        'cpu',
        '--limit-train',
        '64',
        '--limit-test',
        '32',
        '--out',
        out,
      ],
      io,
    );
    // Assess
    const stdout = io.out();
    expect(code, io.err()).toBe(1);
    expect(stdout).toMatch(
      /submissions\/alice\/tiny\.json: valid; submission tiny-[0-9a-f]{12}, job local-1 started/,
    );
    expect(stdout).toContain('submissions/alice/missing-flatten.json: invalid');
    expect(stdout.match(/already claimed, no second job/g)).toHaveLength(2);
    expect(stdout).not.toContain('local-2');
    // Only uploads under submissions/ reach on-submission, as the deployed notification filters.
    expect(stdout).not.toContain('ignored');
    // Each upload has its own result file, named by its submission id.
    expect(stdout).toMatch(
      /submissions\/alice\/tiny\.json → results\/alice\/tiny-[0-9a-f]{12}\.json: [\d.]+ \/ 8 \(graded\)/,
    );
    expect(stdout).toMatch(
      /submissions\/alice\/missing-flatten\.json → results\/alice\/missing-flatten-[0-9a-f]{12}\.json: 0 \/ 8 \(rejected\)/,
    );
    const graded = JSON.parse(await readFile(path.join(out, 'alice', 'tiny.json'), 'utf8'));
    expect(graded.extra_data.outcome).toBe('graded');
    expect(graded.extra_data.submission.source).toBe(
      's3://autograder-submissions/submissions/alice/tiny.json',
    );
    const rejected = JSON.parse(
      await readFile(path.join(out, 'alice', 'missing-flatten.json'), 'utf8'),
    );
    expect(rejected.extra_data.errors.length).toBeGreaterThan(0);
  });

  it.each([
    { description: 'no files', args: [], message: /at least one submission file/ },
    {
      description: 'a bad student name',
      args: ['x.json', '--student', '../up'],
      message: /--student/,
    },
    {
      description: 'an unreadable file',
      args: ['does-not-exist.json'],
      message: /cannot read does-not-exist.json: ENOENT/,
    },
  ])('exits 2 for $description', async ({ args, message }) => {
    // Prepare
    const io = captureIo({ cwd: work });
    // Act
    const code = await main(['pipeline', ...args], io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toMatch(message);
  });
});

describe('the local pipeline with Docker jobs', () => {
  it('runs each job as `docker run --gpus all --network host IMAGE` whose environment suffices to grade', async () => {
    // Prepare: a stand-in for docker that runs the image's entrypoint as a process with the
    // environment the docker argv gives, plus the data and engine the image would bake in.
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const entrypoint = fileURLToPath(new URL('../../grader-image/entrypoint.ts', import.meta.url));
    const dockerCalls: string[][] = [];
    const fakeDocker: Spawn = (_command, args) => {
      dockerCalls.push(args);
      const env: Record<string, string> = {};
      args.forEach((arg, i) => {
        const value = args[i + 1];
        if (arg === '--env' && value?.includes('=')) {
          env[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
        }
      });
      return spawnProcess(process.execPath, ['--import', 'tsx', entrypoint], {
        cwd: root,
        stdio: 'ignore',
        env: {
          ...env,
          PATH: process.env.PATH,
          AUTOGRADER_CIFAR10_DIR: dataDir,
          AUTOGRADER_BACKEND: 'cpu',
        },
      });
    };
    const bytes = await readFile(example('tiny.json'));
    // Act
    const reports = await runLocalPipeline({
      uploads: [{ student: 'bo', name: 'tiny.json', bytes }],
      jobs: { kind: 'docker', image: 'cifar10-autograder:test', spawn: fakeDocker },
      slice: { limitTrain: 64, limitTest: 32 },
    });
    // Assess
    expect(dockerCalls).toHaveLength(1);
    const args = dockerCalls[0] ?? [];
    expect(args.slice(0, 2)).toEqual(['run', '--rm']);
    expect(args.join(' ')).toContain('--gpus all --network host');
    expect(args).toContain('AUTOGRADER_LIMIT_TRAIN=64');
    expect(args.at(-1)).toBe('cifar10-autograder:test');
    expect(reports).toHaveLength(1);
    expect(reports[0]?.outcomes).toEqual(['launched']);
    expect(reports[0]?.result?.extra_data.outcome).toBe('graded');
    expect(reports[0]?.result?.extra_data.dataset).toMatchObject({ train_images: 64 });
  });
});
