import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobEnvironment } from '../../src/launch/index.js';
import { isResultFile, type ResultFile } from '../../src/rubric/index.js';
import { LOOPBACK_CREDENTIALS, S3ObjectStore } from '../../src/storage/index.js';
import { startTestS3, type TestS3 } from '../helpers/s3rver.js';
import { putSyntheticCifar10 } from '../helpers/synthetic-bucket.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entrypoint = fileURLToPath(new URL('../../grader-image/entrypoint.ts', import.meta.url));
const SUBMISSIONS = 'subs';
const RESULTS = 'results';
const DATA = 'data';

let s3: TestS3;
let results: S3ObjectStore;

/** Runs the container's entrypoint as the plain Node program it is, with a job's environment. */
function runEntrypoint(
  student: string,
  extraEnv: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOOPBACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOOPBACK_CREDENTIALS.secretAccessKey,
    AUTOGRADER_S3_ENDPOINT: s3.server.endpoint,
    AUTOGRADER_BACKEND: 'cpu',
    AUTOGRADER_LIMIT_TRAIN: '64',
    AUTOGRADER_LIMIT_TEST: '32',
    ...jobEnvironment({
      submission: { bucket: SUBMISSIONS, key: `submissions/${student}/tiny.json` },
      result: { bucket: RESULTS, key: `results/${student}/tiny.json` },
    }),
    ...extraEnv,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entrypoint], { cwd: root, env });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

async function readResult(key: string): Promise<ResultFile> {
  const bytes = await results.get(key);
  if (!bytes) throw new Error(`no result at ${key}`);
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (!isResultFile(parsed)) throw new Error(`${key} is not a result file`);
  return parsed;
}

beforeAll(async () => {
  s3 = await startTestS3([SUBMISSIONS, RESULTS, DATA]);
  results = new S3ObjectStore({ bucket: RESULTS, client: s3.client });
  const submissions = new S3ObjectStore({ bucket: SUBMISSIONS, client: s3.client });
  const tiny = await readFile(
    fileURLToPath(new URL('../../rubric/examples/tiny.json', import.meta.url)),
  );
  for (const student of ['kim', 'lee', 'park'])
    await submissions.put(`submissions/${student}/tiny.json`, tiny);
  await putSyntheticCifar10(new S3ObjectStore({ bucket: DATA, client: s3.client }), 'cifar10/', {
    train: 64,
    test: 32,
  });
});
afterAll(async () => {
  await s3.close();
});

describe('grader-image entrypoint as a Node program', () => {
  it('grades the submission from S3 on data from S3 and writes the final result', async () => {
    // Act
    const { code, output } = await runEntrypoint('kim', {
      AUTOGRADER_CIFAR10_S3: `s3://${DATA}/cifar10/`,
    });
    // Assess
    expect(code, output).toBe(0);
    const result = await readResult('results/kim/tiny.json');
    expect(result.extra_data.outcome).toBe('graded');
    expect(result.extra_data.complete).toBe(true);
    expect(result.extra_data.backend).toMatchObject({ name: 'cpu', device: 'cpu', threads: 1 });
    expect(result.extra_data.dataset).toMatchObject({ train_images: 64, test_images: 32 });
    expect(result.extra_data.submission.source).toBe(
      `s3://${SUBMISSIONS}/submissions/kim/tiny.json`,
    );
    expect(result.extra_data.experiments[0]?.status).toBe('ok');
  });

  it('still writes a failure result when grading cannot start, and exits non-zero', async () => {
    // Act
    const { code } = await runEntrypoint('lee', {
      AUTOGRADER_CIFAR10_S3: `s3://${DATA}/nothing-here/`,
    });
    // Assess
    expect(code).toBe(1);
    const result = await readResult('results/lee/tiny.json');
    expect(result.extra_data.outcome).toBe('failed');
    expect(result.extra_data.failure?.reason).toBe('crash');
    expect(result.extra_data.failure?.message).toMatch(/missing/);
  });

  it('with AUTOGRADER_REQUIRE_GPU=1 and no GPU, trains nothing and writes a result that says so', async () => {
    // Act
    const { code } = await runEntrypoint('park', {
      AUTOGRADER_CIFAR10_S3: `s3://${DATA}/cifar10/`,
      AUTOGRADER_REQUIRE_GPU: '1',
    });
    // Assess
    expect(code).toBe(1);
    const result = await readResult('results/park/tiny.json');
    expect(result.extra_data.outcome).toBe('failed');
    expect(result.extra_data.complete).toBe(true);
    expect(result.extra_data.failure?.reason).toBe('no_gpu');
    expect(result.extra_data.failure?.message).toContain('the cpu backend');
    expect(result.extra_data.experiments).toEqual([]);
    expect(result.output).toContain('no usable GPU');
  });

  it('exits 2 and says which variable is missing when the job environment is incomplete', async () => {
    // Act
    const { code, output } = await runEntrypoint('lee', { AUTOGRADER_JOB_RESULT_KEY: '' });
    // Assess
    expect(code).toBe(2);
    expect(output).toContain('AUTOGRADER_JOB_RESULT_KEY');
  });
});
