import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeOnSubmissionHandler } from '../../functions/on-submission/index.js';
import { JOB_ENV } from '../../src/launch/index.js';
import { DEFAULT_RUBRIC } from '../../src/rubric/index.js';
import { estimateResources, validateSubmission } from '../../src/spec/index.js';
import { S3ObjectStore } from '../../src/storage/index.js';
import { uploadAndCaptureEvent } from '../helpers/s3-events.js';
import { readResultFile, startTestS3, type TestS3 } from '../helpers/s3rver.js';

const SUBMISSIONS = 'course-submissions';
const RESULTS = 'course-results';
const env = {
  AUTOGRADER_SUBMISSIONS_BUCKET: SUBMISSIONS,
  AUTOGRADER_RESULTS_BUCKET: RESULTS,
  AUTOGRADER_JOB_QUEUE: 'arn:aws:batch:us-east-1:123456789012:job-queue/grading',
  AUTOGRADER_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/grader:1',
};
const example = (name: string) =>
  readFile(fileURLToPath(new URL(`../../rubric/examples/${name}`, import.meta.url)));

const batch = mockClient(BatchClient);
let s3: TestS3;
let results: S3ObjectStore;

function handler() {
  return makeOnSubmissionHandler({
    env,
    clients: { s3: s3.client, batch: new BatchClient({ region: 'us-east-1' }) },
    log: () => {},
  });
}

const readResult = (key: string) => readResultFile(results, key);

beforeAll(async () => {
  s3 = await startTestS3([SUBMISSIONS, RESULTS]);
  results = new S3ObjectStore({ bucket: RESULTS, client: s3.client });
});
afterAll(async () => {
  await s3.close();
});
beforeEach(() => {
  batch.reset();
  batch.on(SubmitJobCommand).resolves({ jobId: 'job-1', jobName: 'grade', jobArn: 'arn' });
});

describe('on-submission', () => {
  it('with a CPU route, sends light submissions to the CPU queue and heavy ones to the GPU queue', async () => {
    // Prepare: a threshold between the tiny example's training work and the course's three networks'.
    const workOf = async (name: string) => {
      const validation = validateSubmission(await example(name), DEFAULT_RUBRIC);
      if (!validation.valid) throw new Error(`${name} is not valid`);
      return estimateResources(validation.submission, validation.experiments).trainingMacs;
    };
    const light = await workOf('tiny.json');
    const heavy = await workOf('three-experiments.json');
    expect(light).toBeLessThan(heavy);
    const routed = makeOnSubmissionHandler({
      env: {
        ...env,
        AUTOGRADER_CPU_JOB_QUEUE: 'arn:aws:batch:us-east-1:123456789012:job-queue/grading-cpu',
        AUTOGRADER_CPU_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/cpu:1',
        AUTOGRADER_CPU_MAX_TRAINING_MACS: String(Math.sqrt(light * heavy)),
      },
      clients: { s3: s3.client, batch: new BatchClient({ region: 'us-east-1' }) },
      log: () => {},
    });
    // Act
    for (const name of ['tiny.json', 'three-experiments.json']) {
      await routed(
        await uploadAndCaptureEvent(
          s3,
          SUBMISSIONS,
          `submissions/routed/${name}`,
          await example(name),
        ),
      );
    }
    // Assess
    const queues = batch
      .commandCalls(SubmitJobCommand)
      .map((call) => [
        call.args[0].input.containerOverrides?.environment?.find(
          (v) => v.name === JOB_ENV.submissionKey,
        )?.value,
        call.args[0].input.jobQueue,
      ]);
    expect(queues).toEqual([
      [
        'submissions/routed/tiny.json',
        'arn:aws:batch:us-east-1:123456789012:job-queue/grading-cpu',
      ],
      ['submissions/routed/three-experiments.json', env.AUTOGRADER_JOB_QUEUE],
    ]);
  });

  it('starts one Batch job for a valid upload, naming the submission and result', async () => {
    // Prepare
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/alice/tiny.json',
      await example('tiny.json'),
    );
    // Act
    const outcomes = await handler()(event);
    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['launched']);
    const calls = batch.commandCalls(SubmitJobCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.jobQueue).toBe(env.AUTOGRADER_JOB_QUEUE);
    expect(input?.jobDefinition).toBe(env.AUTOGRADER_JOB_DEFINITION);
    expect(input?.containerOverrides?.environment).toEqual(
      expect.arrayContaining([
        { name: 'AUTOGRADER_JOB_SUBMISSION_BUCKET', value: SUBMISSIONS },
        { name: 'AUTOGRADER_JOB_SUBMISSION_KEY', value: 'submissions/alice/tiny.json' },
        { name: 'AUTOGRADER_JOB_RESULT_BUCKET', value: RESULTS },
        { name: 'AUTOGRADER_JOB_RESULT_KEY', value: 'results/alice/tiny.json' },
      ]),
    );
    // The job writes the result; intake must not.
    expect(await readResult('results/alice/tiny.json')).toBeUndefined();
  });

  it('starts one job when the same event arrives twice, even at once', async () => {
    // Prepare
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/bob/tiny.json',
      await example('tiny.json'),
    );
    const onSubmission = handler();
    // Act
    const concurrent = await Promise.all([onSubmission(event), onSubmission(event)]);
    const later = await handler()(event);
    // Assess
    const statuses = [...concurrent, later].flat().map((o) => o.status);
    expect(statuses.sort()).toEqual(['duplicate', 'duplicate', 'launched']);
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(1);
  });

  it('grades a second upload of the same key as a new submission', async () => {
    // Prepare
    const key = 'submissions/carol/tiny.json';
    const first = await uploadAndCaptureEvent(s3, SUBMISSIONS, key, await example('tiny.json'));
    const second = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      key,
      await example('convnet-tiny.json'),
    );
    // Act
    await handler()(first);
    await handler()(second);
    // Assess
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(2);
  });

  it('writes the rejected result of an invalid upload at once, with every error, and starts no job', async () => {
    // Prepare
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/dave/broken.json',
      await example('broken/missing-flatten.json'),
    );
    // Act
    const outcomes = await handler()(event);
    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['rejected']);
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(0);
    const result = await readResult('results/dave/broken.json');
    expect(result?.score).toBe(0);
    expect(result?.extra_data.outcome).toBe('rejected');
    expect(result?.extra_data.errors.length).toBeGreaterThan(0);
    expect(result?.extra_data.errors[0]?.path).toMatch(/^\/experiments\/0\/layers\//);
    expect(result?.extra_data.submission.source).toBe(
      `s3://${SUBMISSIONS}/submissions/dave/broken.json`,
    );
  });

  it('rejects a file over the size limit without reading past it', async () => {
    // Prepare
    const size = DEFAULT_RUBRIC.limits.max_file_bytes + 1;
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/erin/huge.json',
      new Uint8Array(size).fill(32),
    );
    // Act
    const outcomes = await handler()(event);
    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['rejected']);
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(0);
    const result = await readResult('results/erin/huge.json');
    expect(result?.extra_data.errors).toEqual([
      {
        path: '',
        message: `the file is ${size} bytes; submissions may be at most ${DEFAULT_RUBRIC.limits.max_file_bytes} bytes`,
      },
    ]);
  });

  it('frees the claim when Batch refuses, so the retried event starts the job', async () => {
    // Prepare
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/frank/tiny.json',
      await example('tiny.json'),
    );
    batch
      .on(SubmitJobCommand)
      .rejectsOnce(new Error('Rate exceeded'))
      .resolves({ jobId: 'job-2', jobName: 'g', jobArn: 'a' });
    const onSubmission = handler();
    // Act
    const firstTry = onSubmission(event);
    await expect(firstTry).rejects.toThrow(/Rate exceeded/);
    const retry = await onSubmission(event);
    // Assess
    expect(retry.map((o) => o.status)).toEqual(['launched']);
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(2);
  });

  it.each([
    { description: 'a key outside submissions/', key: 'uploads/alice/tiny.json' },
    { description: 'a key with no student folder', key: 'submissions/tiny.json' },
  ])('ignores $description', async ({ key }) => {
    // Prepare
    const event = await uploadAndCaptureEvent(s3, SUBMISSIONS, key, await example('tiny.json'));
    // Act
    const outcomes = await handler()(event);
    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['ignored']);
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(0);
  });

  it('names the missing setting when the stack did not configure it', async () => {
    // Prepare
    const misconfigured = makeOnSubmissionHandler({
      env: { ...env, AUTOGRADER_JOB_QUEUE: '' },
      clients: { s3: s3.client },
      log: () => {},
    });
    // Act
    const run = misconfigured({ Records: [] });
    // Assess
    await expect(run).rejects.toThrow(/job queue/);
  });
});
