import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';
import { STACK_OUTPUTS } from '../../src/staff/index.js';
import { buildTestArchive, startArchiveServer } from '../helpers/archive-server.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite.js';
import { startTestS3, type TestS3 } from '../helpers/s3rver.js';
import {
  blocksOf,
  type DocBlock,
  type DocCommand,
  documentedFiles,
  flagsOf,
  REPO,
  wordsOf,
} from './doc-blocks.js';
import { type FakeAws, startFakeAws } from './fake-aws.js';
import {
  type CommandRun,
  distIsCurrent,
  makeWorkspace,
  runCommand,
  STACK_FRAME,
  startCommand,
} from './workspace.js';

const exec = promisify(execFile);
const STACK = 'Cifar10Autograder';
const FIXTURES = path.join(REPO, 'test', 'fixtures');

let ws: string;
let env: NodeJS.ProcessEnv;
let s3: TestS3;
let dynamo: TestDynamo;
let aws: FakeAws;
let archive: Awaited<ReturnType<typeof startArchiveServer>>;
let archiveMd5: string;
/** What each documented command printed, by its text, for the checks that follow it. */
const ran = new Map<string, CommandRun>();
/** Offline stand-ins already run and passed (the same synth for several deploy lines). */
const checkedOffline = new Set<string>();
/** Commands the suite could not run here, with why: printed once, so a run shows them. */
const notRun: string[] = [];

const inWs = (...parts: string[]) => path.join(ws, ...parts);
const readJson = async <T>(file: string): Promise<T> =>
  JSON.parse(await readFile(file, 'utf8')) as T;

/** The environment of a user's shell: no variable of this test run, loopback fakes for AWS. */
function userEnvironment(): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('AUTOGRADER_') && !name.startsWith('AWS_') && name !== 'XDG_CACHE_HOME',
    ),
  );
  return {
    ...kept,
    // The node that runs this suite first on PATH, so `npx` and the CLI run on the same one.
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: inWs('home'),
    AUTOGRADER_CIFAR10_URL: `${archive.origin}/archive.tar.gz`,
    AUTOGRADER_CIFAR10_MD5: archiveMd5,
    AUTOGRADER_S3_ENDPOINT: s3.server.endpoint,
    AWS_REGION: 'us-east-1',
    // The loopback S3 server's own key pair; the other fakes take any.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: inWs('home', 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: inWs('home', 'no-aws-credentials'),
    AWS_ENDPOINT_URL_CLOUDFORMATION: aws.endpoint,
    AWS_ENDPOINT_URL_BATCH: aws.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  };
}

async function run(command: DocCommand, timeoutMs = 600_000): Promise<CommandRun> {
  const result = await runCommand(command.text, { cwd: ws, env, timeoutMs });
  ran.set(command.text, result);
  return result;
}

/** What every command a user runs must give: success, and nothing a user should not see. */
function expectClean(result: CommandRun, where: string, exit = 0): void {
  const shown = `${where}: ${result.command}\n--- stdout\n${result.stdout.slice(-3000)}\n--- stderr\n${result.stderr.slice(-3000)}`;
  expect(result.code, shown).toBe(exit);
  expect(STACK_FRAME.test(result.stdout) || STACK_FRAME.test(result.stderr), shown).toBe(false);
  expect(result.stderr, shown).not.toMatch(/\(node:\d+\) \w*Warning|NodeVersionSupportWarning/);
}

/** `npx autograder CMD [SUB]` of a synopsis or an unrunnable line: the command and its flags exist. */
async function expectFlagsExist(command: DocCommand): Promise<void> {
  const words = wordsOf(command.text);
  let helpCommand: string;
  if (words[0] === 'npx' && words[1] === 'autograder') {
    const sub = words[2] === 'students' || words[2] === 'data' ? ` ${words[3] ?? ''}` : '';
    helpCommand = `npx autograder ${words[2] ?? ''}${sub} --help`;
  } else if (words[0] === 'npx' && words[1] === 'tsx') {
    helpCommand = `npx tsx ${words[2] ?? ''} --help`;
  } else {
    throw new Error(`${command.where}: no way to check "${command.text}"`);
  }
  const help = await runCommand(helpCommand, { cwd: ws, env, timeoutMs: 60_000 });
  expect(help.code, `${command.where}: ${helpCommand}\n${help.stderr}`).toBe(0);
  for (const flag of flagsOf(command.text)) {
    expect(help.stdout, `${command.where}: ${flag} is not in "${helpCommand}"`).toMatch(
      new RegExp(`${flag}\\b`),
    );
  }
}

/** A command that needs what this machine lacks: check what can be checked offline. */
async function checkOffline(command: DocCommand, what: string): Promise<void> {
  const words = wordsOf(command.text);
  if (words[0] === 'npx' && words[1] === 'autograder') {
    if (command.text.includes('--stack')) {
      expectClean(await run(command), command.where);
      return;
    }
    await expectFlagsExist(command);
    notRun.push(`${command.where}: ${command.text} (needs ${what}; its flags exist)`);
    return;
  }
  if (words[0] === 'npx' && words[1] === 'cdk') {
    const [sub, ...rest] = words.slice(2);
    // What deploy would upload is what synth builds from the same settings, offline.
    const offline =
      sub === 'deploy'
        ? ['npx cdk synth -q', ...rest.map((w) => `'${w}'`)].join(' ')
        : `npx cdk ${sub ?? ''} --help`;
    if (!checkedOffline.has(offline)) {
      const result = await runCommand(offline, { cwd: ws, env, timeoutMs: 300_000 });
      expectClean(result, `${command.where} (offline: ${offline})`);
      checkedOffline.add(offline);
    }
    notRun.push(`${command.where}: ${command.text} (needs ${what}; checked as "${offline}")`);
    return;
  }
  if (words[0] === 'docker' && words[1] === 'build') {
    const file = words[words.indexOf('-f') + 1] ?? '';
    await expect(stat(path.join(REPO, file)), `${command.where}: ${file}`).resolves.toBeTruthy();
  }
  notRun.push(`${command.where}: ${command.text} (needs ${what})`);
}

/** `students add` printed NAME<TAB>TOKEN lines; the page and API take the token. */
function tokenOf(student: string): string {
  for (const result of ran.values()) {
    const line = result.stdout.split('\n').find((l) => l.startsWith(`${student}\t`));
    if (line) return line.split('\t')[1] ?? '';
  }
  throw new Error(`no token was printed for ${student}`);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** `serve` runs until stopped: start it as written, use the page and API as a student, stop it. */
async function journeyThroughServe(command: DocCommand): Promise<void> {
  expect(await portIsFree(8080), `${command.where}: port 8080 is in use on this machine`).toBe(
    true,
  );
  // Its own process group, so stopping it is the terminal's Ctrl-C: SIGINT to npx and its child.
  const { child, stdout, stderr } = startCommand(command.text, { cwd: ws, env, detached: true });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /^Listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout());
        if (match?.[1]) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 100);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`serve exited with ${code}: ${stderr()}${stdout()}`));
      });
    });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    const auth = { authorization: `Bearer ${tokenOf('alice')}` };
    const posted = await fetch(`${url}/api/submissions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: await readFile(inWs('rubric', 'examples', 'tiny.json')),
    });
    expect(posted.status, await posted.clone().text()).toBe(201);
    const { id } = (await posted.json()) as { id: string };
    let status = 'queued';
    let result: ResultFile | null = null;
    for (let i = 0; i < 600 && (status === 'queued' || status === 'running'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      const answer = (await (
        await fetch(`${url}/api/submissions/${id}`, { headers: auth })
      ).json()) as {
        status: string;
        result: ResultFile | null;
      };
      ({ status, result } = answer);
    }
    expect(status, stdout()).toBe('graded');
    expect(result && resultSchemaErrors(result)).toEqual([]);
  } finally {
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    await exited;
  }
  expect(await portIsFree(8080), 'serve stopped on Ctrl-C').toBe(true);
  expect(STACK_FRAME.test(stdout()) || STACK_FRAME.test(stderr()), `${stdout()}\n${stderr()}`).toBe(
    false,
  );
}

/** Runs one block the way its marker says. */
async function walk(block: DocBlock): Promise<void> {
  for (const command of block.commands) {
    const words = wordsOf(command.text);
    if (words[0] === 'npm' && (words[1] === 'ci' || words[1] === 'test')) {
      // The README's install and test commands are CI's own: .ci/run calls them, nothing weaker.
      const ci = await readFile(path.join(REPO, '.ci', 'run'), 'utf8');
      expect(
        ci.split('\n').some((line) => line.split(' ').slice(0, 2).join(' ') === command.text),
      ).toBe(true);
      continue;
    }
    switch (block.marker.kind) {
      case 'synopsis':
      case 'slow':
        await expectFlagsExist(command);
        if (block.marker.kind === 'slow')
          notRun.push(`${command.where}: ${command.text} (slow; its flags exist)`);
        break;
      case 'needs':
        await checkOffline(command, block.marker.what);
        break;
      case 'run':
        if (words[0] === 'npx' && words[1] === 'autograder' && words[2] === 'serve') {
          await journeyThroughServe(command);
        } else {
          expectClean(await run(command), command.where, block.marker.exit);
        }
        break;
    }
  }
}

/** What a reader of each page has in hand before its first command (their own files). */
const BROUGHT: Record<string, () => Promise<void>> = {
  'README.md': async () => {
    await cp(inWs('rubric', 'examples', 'convnet.json'), inWs('my-net.json'));
    await mkdir(inWs('course', 'submissions', 'alice'), { recursive: true });
    await mkdir(inWs('course', 'submissions', 'bob'), { recursive: true });
    await cp(
      inWs('rubric', 'examples', 'convnet.json'),
      inWs('course', 'submissions', 'alice', 'my-net.json'),
    );
    await cp(
      inWs('rubric', 'examples', 'tiny.json'),
      inWs('course', 'submissions', 'bob', 'tiny.json'),
    );
    await seedStack();
  },
  'docs/import-onnx.md': async () => {
    await cp(path.join(FIXTURES, 'import-onnx', 'convnet.onnx'), inWs('model.onnx'));
  },
  'docs/staff.md': async () => {
    await cp(inWs('course', 'results'), inWs('results'), { recursive: true });
  },
  'docs/students.md': async () => {
    await cp(inWs('rubric', 'examples', 'convnet.json'), inWs('my-submission.json'));
  },
};

/** The deployed stack the `--stack` commands find: a submission and its result in its buckets. */
async function seedStack(): Promise<void> {
  const put = (Bucket: string, Key: string, Body: Uint8Array) =>
    s3.client.send(new PutObjectCommand({ Bucket, Key, Body }));
  const submission = await readFile(inWs('rubric', 'examples', 'convnet.json'));
  await put('course-submissions', 'submissions/alice/my-net.json', submission);
}

/** Checks of what a command left behind, beyond its exit status. */
const AFTERWARDS: Record<string, () => Promise<void>> = {
  'npx autograder grade rubric/examples/three-experiments.json': async () => {
    const output = ran.get('npx autograder grade rubric/examples/three-experiments.json');
    // First use fetches the data, as docs/data.md shows.
    expect(output?.stdout).toContain('fetching it once');
    const result = await readJson<ResultFile>(
      inWs('rubric', 'examples', 'three-experiments.result.json'),
    );
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data.outcome).toBe('graded');
    // 1,200 generated images: a trial, so no claim is trained again with more seeds.
    expect(result.extra_data.trial?.reason).toContain('1,200 of 50,000 training');
    expect(result.extra_data.experiments.map((e) => e.recheck ?? null)).toEqual([null, null, null]);
    expect(output?.stdout).toContain('A trial run:');
  },
  'npx autograder report course/results/ --csv grades.csv --format gradescope --chart scores.svg':
    async () => {
      const output = ran.get(
        'npx autograder report course/results/ --csv grades.csv --format gradescope --chart scores.svg',
      );
      expect(output?.stdout).toContain('Left out 2 trial runs');
      expect(await readFile(inWs('grades.csv'), 'utf8')).not.toMatch(/alice|bob/);
    },
  'npx autograder import model.onnx --params 42362 --accuracy 59.92': async () => {
    const check = await runCommand('npx autograder validate model.json', { cwd: ws, env });
    expectClean(check, 'the imported submission validates');
    expect(check.stdout).toContain('42,362 params');
  },
  'npx autograder data fetch --dir cifar10/': async () => {
    const output = ran.get('npx autograder data fetch --dir cifar10/');
    expect(output?.stdout).toContain('Checked the archive (md5)');
    expect(archive.requests.some((r) => r.path === '/archive.tar.gz')).toBe(true);
    await expect(stat(inWs('cifar10', 'test_batch.bin'))).resolves.toBeTruthy();
  },
  'npx cdk synth': async () => {
    const template = await readJson<{ Outputs: Record<string, unknown> }>(
      inWs('cdk.out', `${STACK}.template.json`),
    );
    expect(Object.keys(template.Outputs)).toContain('PageUrl');
  },
  'npx autograder status --stack Cifar10Autograder': async () => {
    const output = ran.get('npx autograder status --stack Cifar10Autograder')?.stdout ?? '';
    expect(output).toMatch(
      /^ {2}queued +\d+ +\(submitted \d+, pending 0, runnable 1, starting 0\)$/m,
    );
    expect(output).toContain('Oldest waiting: alice-my-net (job j1), RUNNABLE');
    expect(output).toContain('carol-wide (job j3)');
    expect(output).toContain('Out of memory');
  },
};

beforeAll(async () => {
  if (!(await distIsCurrent())) {
    // bin/autograder.js runs the compiled CLI, as it does for users after `npm ci`.
    await exec('npm', ['run', 'build'], { cwd: REPO });
  }
  ws = await makeWorkspace();
  const data = await buildTestArchive(inWs('home'), { train: 1200, test: 600, seed: 21 });
  archive = await startArchiveServer(data.bytes);
  archiveMd5 = data.md5;
  s3 = await startTestS3(['course-submissions', 'course-results']);
  dynamo = await startTestDynamo();
  const table = await dynamo.newTable();
  const now = Date.now();
  aws = await startFakeAws({
    name: STACK,
    outputs: {
      [STACK_OUTPUTS.submissionsBucket]: 'course-submissions',
      [STACK_OUTPUTS.uploadPrefix]: 'submissions/',
      [STACK_OUTPUTS.resultsBucket]: 'course-results',
      [STACK_OUTPUTS.resultsPrefix]: 'results/',
      [STACK_OUTPUTS.jobQueueArn]: 'arn:aws:batch:us-east-1:123456789012:job-queue/grader',
      [STACK_OUTPUTS.jobDefinitionArn]:
        'arn:aws:batch:us-east-1:123456789012:job-definition/grader:1',
      [STACK_OUTPUTS.stateTable]: table,
    },
    jobs: [
      { jobId: 'j1', jobName: 'alice-my-net', status: 'RUNNABLE', createdAt: now - 600_000 },
      { jobId: 'j2', jobName: 'bob-tiny', status: 'RUNNING', createdAt: now - 300_000 },
      {
        jobId: 'j3',
        jobName: 'carol-wide',
        status: 'FAILED',
        createdAt: now - 900_000,
        stoppedAt: now - 800_000,
        statusReason: 'Out of memory',
      },
    ],
  });
  env = userEnvironment();
}, 600_000);

afterAll(async () => {
  if (notRun.length > 0) {
    console.warn(
      `Documented commands not run here (each checked as far as it can be offline):\n  ${notRun.join('\n  ')}`,
    );
  }
  await aws?.close();
  await dynamo?.close();
  await s3?.close();
  await archive?.close();
  if (ws) await rm(ws, { recursive: true, force: true });
});

describe.sequential('every command the README and docs/ show, run as a user would', () => {
  it('finds every fenced block tagged with its language, and every block marked as it runs', () => {
    // Act
    const untagged = documentedFiles().flatMap((file) => blocksOf(file).untagged);
    // Assess
    expect(untagged).toEqual([]);
  });

  for (const file of documentedFiles()) {
    const blocks = blocksOf(file).shell;
    if (blocks.length === 0) continue;
    it(`${file}: ${blocks.reduce((n, b) => n + b.commands.length, 0)} commands`, async () => {
      // Prepare
      await BROUGHT[file]?.();
      // Act and assess, command by command, in the page's order
      for (const block of blocks) {
        await walk(block);
        for (const command of block.commands) await AFTERWARDS[command.text]?.();
      }
    }, 900_000);
  }

  it('ran each command whose outcome it checks (else the docs no longer show it)', () => {
    // Assess
    const shown = new Set(
      documentedFiles().flatMap((f) =>
        blocksOf(f).shell.flatMap((b) => b.commands.map((c) => c.text)),
      ),
    );
    expect(Object.keys(AFTERWARDS).filter((command) => !shown.has(command))).toEqual([]);
  });
});
