import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import {
  BatchClient,
  DescribeJobsCommand,
  ListJobsCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BatchLauncher,
  batchJobName,
  CANCELLED_EXIT_CODE,
  DockerLauncher,
  type GradeJobRequest,
  InProcessLauncher,
  JOB_ENV,
  JobEnvironmentError,
  jobEnvironment,
  LaunchError,
  parseJobEnvironment,
  routeByTrainingWork,
  type Spawn,
} from '../../src/launch/index.js';

const request: GradeJobRequest = {
  submission: { bucket: 'subs', key: 'submissions/alice/my net.json', versionId: 'v1' },
  result: { bucket: 'results', key: 'results/alice/my net.json' },
};

describe('job environment', () => {
  it('round-trips a request through the variables', () => {
    // Prepare
    const vars = jobEnvironment(request);
    // Act
    const parsed = parseJobEnvironment(vars);
    // Assess
    expect(parsed).toEqual(request);
    expect(vars[JOB_ENV.submissionVersion]).toBe('v1');
  });

  it('omits the version of an unversioned object', () => {
    // Prepare
    const unversioned = { ...request, submission: { bucket: 'subs', key: 'submissions/a/b.json' } };
    // Act
    const parsed = parseJobEnvironment(jobEnvironment(unversioned));
    // Assess
    expect(parsed.submission).toEqual({ bucket: 'subs', key: 'submissions/a/b.json' });
  });

  it('names the variable that is missing', () => {
    // Prepare
    const vars: Record<string, string | undefined> = jobEnvironment(request);
    vars[JOB_ENV.resultKey] = ' ';
    // Act
    const parse = () => parseJobEnvironment(vars);
    // Assess
    expect(parse).toThrow(JobEnvironmentError);
    expect(parse).toThrow(/lacks AUTOGRADER_JOB_RESULT_KEY/);
  });
});

describe('BatchLauncher', () => {
  const batch = mockClient(BatchClient);
  beforeEach(() => {
    batch.reset();
  });

  it('submits one job with the submission in its environment', async () => {
    // Prepare
    batch.on(SubmitJobCommand).resolves({ jobId: 'job-123', jobName: 'x', jobArn: 'arn' });
    const launcher = new BatchLauncher({
      jobQueue: 'queue',
      jobDefinition: 'grader:3',
      client: new BatchClient({ region: 'us-east-1' }),
    });
    // Act
    const job = await launcher.launch(request);
    // Assess
    expect(job).toEqual({ id: 'job-123', launcher: 'batch' });
    const calls = batch.commandCalls(SubmitJobCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.jobQueue).toBe('queue');
    expect(input?.jobDefinition).toBe('grader:3');
    expect(input?.jobName).toBe('grade-alice-my-net');
    expect(input?.containerOverrides?.environment).toEqual(
      expect.arrayContaining([
        { name: 'AUTOGRADER_JOB_SUBMISSION_BUCKET', value: 'subs' },
        { name: 'AUTOGRADER_JOB_SUBMISSION_KEY', value: 'submissions/alice/my net.json' },
        { name: 'AUTOGRADER_JOB_SUBMISSION_VERSION', value: 'v1' },
        { name: 'AUTOGRADER_JOB_RESULT_BUCKET', value: 'results' },
        { name: 'AUTOGRADER_JOB_RESULT_KEY', value: 'results/alice/my net.json' },
      ]),
    );
  });

  it('wraps a refused submission in a LaunchError that names the key', async () => {
    // Prepare
    batch.on(SubmitJobCommand).rejects(new Error('Rate exceeded'));
    const launcher = new BatchLauncher({
      jobQueue: 'queue',
      jobDefinition: 'grader',
      client: new BatchClient({ region: 'us-east-1' }),
    });
    // Act
    const launch = launcher.launch(request);
    // Assess
    await expect(launch).rejects.toThrow(LaunchError);
    await expect(launch).rejects.toThrow(/submissions\/alice\/my net.json: Rate exceeded/);
  });

  it('answers with the job of the same name instead of submitting a second one', async () => {
    // Prepare
    batch.on(ListJobsCommand).resolves({
      jobSummaryList: [
        { jobId: 'job-old', jobName: 'grade-abc', createdAt: 1 },
        { jobId: 'job-new', jobName: 'grade-abc', createdAt: 2 },
        { jobId: 'job-other', jobName: 'GRADE-ABC', createdAt: 3 },
      ],
    });
    const launcher = new BatchLauncher({
      jobQueue: 'queue',
      jobDefinition: 'grader',
      client: new BatchClient({ region: 'us-east-1' }),
    });
    // Act
    const job = await launcher.launch({
      ...request,
      jobName: 'grade-abc',
      shareIdentifier: 'alice',
    });
    // Assess
    expect(job).toEqual({ id: 'job-new', launcher: 'batch', existing: true });
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(0);
    expect(batch.commandCalls(ListJobsCommand)[0]?.args[0].input).toMatchObject({
      jobQueue: 'queue',
      filters: [{ name: 'JOB_NAME', values: ['grade-abc'] }],
    });
  });

  it('describes jobs in the shape EventBridge reports them', async () => {
    // Prepare
    batch.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: 'j1',
          jobName: 'n',
          jobQueue: 'q',
          jobDefinition: 'd',
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          startedAt: 1,
          container: { exitCode: 3, environment: [{ name: 'A', value: 'b' }] },
          attempts: [{ statusReason: 'x', container: { exitCode: 3 } }],
        },
      ],
    });
    const launcher = new BatchLauncher({
      jobQueue: 'queue',
      jobDefinition: 'grader',
      client: new BatchClient({ region: 'us-east-1' }),
    });
    // Act
    const [detail] = await launcher.describe(['j1']);
    // Assess
    expect(detail).toMatchObject({
      jobId: 'j1',
      status: 'FAILED',
      container: { exitCode: 3, environment: [{ name: 'A', value: 'b' }] },
      attempts: [{ statusReason: 'x', container: { exitCode: 3 } }],
    });
  });

  it.each([
    { description: 'light work', trainingWork: 1e11, queue: 'cpu-queue', definition: 'cpu:1' },
    {
      description: 'work at the threshold',
      trainingWork: 1e12,
      queue: 'gpu-queue',
      definition: 'gpu:2',
    },
    { description: 'heavy work', trainingWork: 5e13, queue: 'gpu-queue', definition: 'gpu:2' },
    {
      description: 'unknown work',
      trainingWork: undefined,
      queue: 'gpu-queue',
      definition: 'gpu:2',
    },
  ])('routes $description to $queue with a CPU route of threshold 1e12 MACs', async (row) => {
    // Prepare
    batch.on(SubmitJobCommand).resolves({ jobId: 'job-9', jobName: 'x', jobArn: 'arn' });
    const launcher = new BatchLauncher({
      jobQueue: 'gpu-queue',
      jobDefinition: 'gpu:2',
      cpu: { jobQueue: 'cpu-queue', jobDefinition: 'cpu:1' },
      route: routeByTrainingWork(1e12),
      client: new BatchClient({ region: 'us-east-1' }),
    });
    // Act
    const job = await launcher.launch({
      ...request,
      ...(row.trainingWork !== undefined ? { trainingWork: row.trainingWork } : {}),
    });
    // Assess
    const input = batch.commandCalls(SubmitJobCommand)[0]?.args[0].input;
    expect(input?.jobQueue).toBe(row.queue);
    expect(input?.jobDefinition).toBe(row.definition);
    expect(job.route).toBe(row.queue === 'cpu-queue' ? 'cpu' : 'gpu');
    // The work is the launcher's business, not the job's.
    expect(JSON.stringify(input?.containerOverrides)).not.toContain(String(row.trainingWork));
  });

  it('sends everything to the GPU queue when no CPU route is deployed', async () => {
    // Prepare
    batch.on(SubmitJobCommand).resolves({ jobId: 'job-10', jobName: 'x', jobArn: 'arn' });
    const launcher = new BatchLauncher({
      jobQueue: 'gpu-queue',
      jobDefinition: 'gpu:2',
      route: routeByTrainingWork(1e12),
      client: new BatchClient({ region: 'us-east-1' }),
    });
    // Act
    await launcher.launch({ ...request, trainingWork: 1 });
    // Assess
    expect(batch.commandCalls(SubmitJobCommand)[0]?.args[0].input.jobQueue).toBe('gpu-queue');
  });

  it.each([
    { description: 'plain name', key: 'submissions/bob/net.json', name: 'grade-bob-net' },
    { description: 'odd characters', key: 'submissions/ö ü/a.b.json', name: 'grade-a-b' },
    { description: 'very long key', key: `submissions/${'x'.repeat(300)}.json`, name: null },
  ])('makes a valid Batch job name from a $description', ({ key, name }) => {
    // Act
    const jobName = batchJobName(key);
    // Assess
    expect(jobName).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    if (name !== null) expect(jobName).toBe(name);
  });
});

/** A child process that records nothing itself: the test drives its events. */
function fakeChild(): ChildProcess {
  return new EventEmitter() as ChildProcess;
}

describe('DockerLauncher', () => {
  it('runs the image with all GPUs, the job variables as values and credentials by name', async () => {
    // Prepare
    const calls: { command: string; args: string[] }[] = [];
    const child = fakeChild();
    const spawn: Spawn = (command, args) => {
      calls.push({ command, args });
      queueMicrotask(() => child.emit('spawn'));
      return child;
    };
    const launcher = new DockerLauncher({
      image: 'cifar10-autograder:1',
      gpus: 'all',
      network: 'host',
      env: { AUTOGRADER_S3_ENDPOINT: 'http://127.0.0.1:4568' },
      spawn,
      makeId: () => 'autograder-test',
    });
    // Act
    const job = await launcher.launch(request);
    child.emit('exit', 0, null);
    const code = await job.finished;
    // Assess
    expect(code).toBe(0);
    expect(job.id).toBe('autograder-test');
    expect(calls).toEqual([
      {
        command: 'docker',
        args: [
          'run',
          '--rm',
          '--name',
          'autograder-test',
          '--gpus',
          'all',
          '--network',
          'host',
          '--env',
          'AUTOGRADER_S3_ENDPOINT=http://127.0.0.1:4568',
          '--env',
          'AUTOGRADER_JOB_SUBMISSION_BUCKET=subs',
          '--env',
          'AUTOGRADER_JOB_SUBMISSION_KEY=submissions/alice/my net.json',
          '--env',
          'AUTOGRADER_JOB_SUBMISSION_VERSION=v1',
          '--env',
          'AUTOGRADER_JOB_RESULT_BUCKET=results',
          '--env',
          'AUTOGRADER_JOB_RESULT_KEY=results/alice/my net.json',
          '--env',
          'AWS_REGION',
          '--env',
          'AWS_DEFAULT_REGION',
          '--env',
          'AWS_ACCESS_KEY_ID',
          '--env',
          'AWS_SECRET_ACCESS_KEY',
          '--env',
          'AWS_SESSION_TOKEN',
          'cifar10-autograder:1',
        ],
      },
    ]);
  });

  it('reports a container killed by a signal as a failure', async () => {
    // Prepare
    const child = fakeChild();
    const launcher = new DockerLauncher({
      image: 'img',
      spawn: () => {
        queueMicrotask(() => child.emit('spawn'));
        return child;
      },
    });
    // Act
    const job = await launcher.launch(request);
    child.emit('exit', null, 'SIGKILL');
    // Assess
    await expect(job.finished).resolves.toBe(128);
  });

  it('fails the launch when docker cannot start', async () => {
    // Prepare
    const child = fakeChild();
    const launcher = new DockerLauncher({
      image: 'img',
      spawn: () => {
        queueMicrotask(() => child.emit('error', new Error('spawn docker ENOENT')));
        return child;
      },
    });
    // Act
    const launch = launcher.launch(request);
    // Assess
    await expect(launch).rejects.toThrow(/cannot run docker: spawn docker ENOENT/);
  });
});

describe('InProcessLauncher', () => {
  it('runs jobs one at a time, in launch order', async () => {
    // Prepare
    const log: string[] = [];
    const launcher = new InProcessLauncher(async (_request, id) => {
      log.push(`start ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${id}`);
      return 0;
    });
    // Act
    const jobs = await Promise.all([launcher.launch(request), launcher.launch(request)]);
    const codes = await Promise.all(jobs.map((job) => job.finished));
    // Assess
    expect(jobs.map((job) => job.id)).toEqual(['local-1', 'local-2']);
    expect(codes).toEqual([0, 0]);
    expect(log).toEqual(['start local-1', 'end local-1', 'start local-2', 'end local-2']);
  });

  it('turns a job that throws into exit code 1 and reports the error, and keeps going', async () => {
    // Prepare
    const errors: string[] = [];
    const launcher = new InProcessLauncher(
      async (_request, id) => {
        if (id === 'local-1') throw new Error('boom');
        return 0;
      },
      (error, id) => errors.push(`${id}: ${(error as Error).message}`),
    );
    // Act
    const first = await launcher.launch(request);
    const second = await launcher.launch(request);
    // Assess
    await expect(first.finished).resolves.toBe(1);
    await expect(second.finished).resolves.toBe(0);
    expect(errors).toEqual(['local-1: boom']);
  });

  it('starts one job per job name, and a job cancelled before its turn never runs', async () => {
    // Prepare
    const ran: string[] = [];
    const states: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const launcher = new InProcessLauncher(
      async (_request, id) => {
        ran.push(id);
        await gate;
        return 0;
      },
      () => {},
      { onStateChange: (detail) => void states.push(`${detail.jobId} ${detail.status}`) },
    );
    // Act
    const first = await launcher.launch({ ...request, jobName: 'a' });
    const again = await launcher.launch({ ...request, jobName: 'a' });
    const second = await launcher.launch({ ...request, jobName: 'b' });
    await launcher.cancel(second.id, 'superseded');
    release();
    const codes = await Promise.all([first.finished, second.finished]);
    // Assess
    expect(again).toMatchObject({ id: first.id, existing: true });
    expect(ran).toEqual(['local-1']);
    expect(codes).toEqual([0, CANCELLED_EXIT_CODE]);
    expect(states).toEqual(['local-1 RUNNING', 'local-1 SUCCEEDED', 'local-2 FAILED']);
    expect((await launcher.describe(['local-2']))[0]?.statusReason).toBe('superseded');
  });
});
