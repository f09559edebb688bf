import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  BatchClient,
  CancelJobCommand,
  ListJobsCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeOnSubmissionHandler } from '../../functions/on-submission/index.js';
import { JOB_ENV } from '../../src/launch/index.js';
import type { IntakeOutcome } from '../../src/pipeline/index.js';
import { DEFAULT_RUBRIC } from '../../src/rubric/index.js';
import { estimateResources, validateSubmission } from '../../src/spec/index.js';
import { createDynamoDbStateStore, type SubmissionStateStore } from '../../src/state/index.js';
import { S3ObjectStore } from '../../src/storage/index.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite.js';
import { uploadAndCaptureEvent } from '../helpers/s3-events.js';
import { readResultFile, startTestS3, type TestS3 } from '../helpers/s3rver.js';

const SUBMISSIONS = 'course-submissions';
const RESULTS = 'course-results';
const env = {
  AUTOGRADER_SUBMISSIONS_BUCKET: SUBMISSIONS,
  AUTOGRADER_RESULTS_BUCKET: RESULTS,
  AUTOGRADER_JOB_QUEUE: 'arn:aws:batch:us-east-1:123456789012:job-queue/grading',
  AUTOGRADER_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/grader:1',
  AUTOGRADER_STATE_TABLE: 'unused: the store is injected',
};
const example = (name: string) =>
  readFile(fileURLToPath(new URL(`../../rubric/examples/${name}`, import.meta.url)));

const batch = mockClient(BatchClient);
let s3: TestS3;
let dynamo: TestDynamo;
let state: SubmissionStateStore;
let results: S3ObjectStore;

function handler(clock?: () => number) {
  return makeOnSubmissionHandler({
    env,
    clients: {
      s3: s3.client,
      batch: new BatchClient({ region: 'us-east-1' }),
      state: clock ? storeWithClock(clock) : state,
    },
    log: () => {},
  });
}

let table: string;
const storeWithClock = (now: () => number) =>
  createDynamoDbStateStore({ tableName: table, client: dynamo.client, now });

const readResult = (key: string) => readResultFile(results, key);

/** Polls until the condition holds (a frozen handler's progress, seen from outside). */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never held');
}

/** The result key of the one record an outcome names. */
function resultKeyOf(outcomes: IntakeOutcome[]): string {
  const [outcome] = outcomes;
  if (!outcome || !('resultKey' in outcome)) throw new Error('no result key');
  return outcome.resultKey;
}

beforeAll(async () => {
  s3 = await startTestS3([SUBMISSIONS, RESULTS]);
  dynamo = await startTestDynamo();
  results = new S3ObjectStore({ bucket: RESULTS, client: s3.client });
});
afterAll(async () => {
  await s3.close();
  await dynamo.close();
});
beforeEach(async () => {
  table = await dynamo.newTable();
  state = createDynamoDbStateStore({ tableName: table, client: dynamo.client });
  batch.reset();
  batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
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
      clients: { s3: s3.client, batch: new BatchClient({ region: 'us-east-1' }), state },
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
    const resultKey = resultKeyOf(outcomes);
    expect(resultKey).toMatch(/^results\/alice\/tiny-[0-9a-f]{12}\.json$/);
    expect(input?.shareIdentifier).toBe('alice');
    expect(input?.jobName).toMatch(/^grade-[0-9a-f]{12}-alice-tiny-/);
    expect(input?.containerOverrides?.environment).toEqual(
      expect.arrayContaining([
        { name: JOB_ENV.submissionBucket, value: SUBMISSIONS },
        { name: JOB_ENV.submissionKey, value: 'submissions/alice/tiny.json' },
        { name: JOB_ENV.resultBucket, value: RESULTS },
        { name: JOB_ENV.resultKey, value: resultKey },
        { name: JOB_ENV.student, value: 'alice' },
      ]),
    );
    // The job writes the result; intake must not. The record says where the job is.
    expect(await readResult(resultKey)).toBeUndefined();
    const [record] = await state.listByStudent('alice');
    expect(record).toMatchObject({ status: 'queued', job_id: 'job-1', result_key: resultKey });
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
    // Act: the delivery that finds the other's live lease fails, so Lambda retries it.
    const concurrent = await Promise.allSettled([onSubmission(event), onSubmission(event)]);
    const later = await handler()(event);
    // Assess
    const launched = concurrent.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    const refused = concurrent.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    expect(launched.map((o) => o.status)).toEqual(['launched']);
    expect(String(refused[0])).toMatch(/IntakeInProgressError: another intake holds/);
    expect(later.map((o) => o.status)).toEqual(['duplicate']);
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
    const one = await handler()(first);
    const two = await handler()(second);
    // Assess
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(2);
    expect(resultKeyOf(one)).not.toBe(resultKeyOf(two));
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
    const result = await readResult(resultKeyOf(outcomes));
    expect((await state.listByStudent('dave'))[0]).toMatchObject({ status: 'rejected', score: 0 });
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
    const result = await readResult(resultKeyOf(outcomes));
    expect(result?.extra_data.errors).toEqual([
      {
        path: '',
        message: `the file is ${size} bytes; submissions may be at most ${DEFAULT_RUBRIC.limits.max_file_bytes} bytes`,
      },
    ]);
  });

  it('releases the lease when Batch refuses, so the retried event starts the job', async () => {
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

  it('lets the retry take over an upload whose handler died between its claim and SubmitJob', async () => {
    // Prepare: the first invocation freezes inside SubmitJob (a Lambda killed at its timeout,
    // or out of memory): no error is thrown, nothing releases its claim.
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/kai/tiny.json',
      await example('tiny.json'),
    );
    batch.reset();
    batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    batch
      .on(SubmitJobCommand)
      .callsFakeOnce(() => new Promise(() => {}))
      .resolves({ jobId: 'job-2', jobName: 'g', jobArn: 'a' });
    const killed = handler()(event);
    await until(async () => (await state.listByStudent('kai'))[0]?.job_name !== undefined);
    // Act: Lambda retries after the timeout; by then the dead claim's lease has expired.
    const later = Date.now() + 61_000;
    const retry = await handler(() => later)(event);
    // Assess
    expect(retry.map((o) => o.status)).toEqual(['launched']);
    const [record] = await state.listByStudent('kai');
    expect(record).toMatchObject({ status: 'queued', job_id: 'job-2', intake_attempts: 2 });
    expect(killed).toBeInstanceOf(Promise);
  });

  it('does not submit a second job when SubmitJob succeeded at Batch but failed on the way back', async () => {
    // Prepare: Batch creates the job, then the connection drops before the answer arrives.
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/lou/tiny.json',
      await example('tiny.json'),
    );
    const created: { jobName: string; jobId: string }[] = [];
    batch.reset();
    batch.on(ListJobsCommand).callsFake((input: { filters?: { values?: string[] }[] }) => ({
      jobSummaryList: created
        .filter((job) => input.filters?.[0]?.values?.includes(job.jobName))
        .map((job) => ({ ...job, createdAt: 1 })),
    }));
    batch.on(SubmitJobCommand).callsFake((input: { jobName: string }) => {
      created.push({ jobName: input.jobName, jobId: `job-${created.length + 1}` });
      throw new Error('socket hang up');
    });
    const onSubmission = handler();
    // Act
    await expect(onSubmission(event)).rejects.toThrow(/socket hang up/);
    const retry = await onSubmission(event);
    // Assess
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(1);
    expect(retry).toMatchObject([{ status: 'launched', jobId: 'job-1' }]);
  });

  it.each(['my+net.json', '100%.json', 'réseau 🚀 ü.json'])(
    'grades an upload named %s, as S3 encodes it in the event',
    async (name) => {
      // Prepare
      const key = `submissions/max/${name}`;
      const event = await uploadAndCaptureEvent(s3, SUBMISSIONS, key, await example('tiny.json'));
      // Act
      const outcomes = await handler()(event);
      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['launched']);
      const input = batch.commandCalls(SubmitJobCommand)[0]?.args[0].input;
      expect(input?.containerOverrides?.environment).toContainEqual({
        name: JOB_ENV.submissionKey,
        value: key,
      });
      expect(resultKeyOf(outcomes)).toMatch(/^results\/max\/[A-Za-z0-9_-]+\.json$/);
    },
  );

  it('rejects a name that is not .json under its own id: "x" and "x.json" never share a result', async () => {
    // Prepare
    const plain = await uploadAndCaptureEvent(s3, SUBMISSIONS, 'submissions/ned/x', '{}');
    const json = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/ned/x.json',
      await example('tiny.json'),
    );
    // Act
    const rejected = await handler()(plain);
    const launched = await handler()(json);
    // Assess
    expect(rejected.map((o) => o.status)).toEqual(['rejected']);
    expect(launched.map((o) => o.status)).toEqual(['launched']);
    expect(resultKeyOf(rejected)).not.toBe(resultKeyOf(launched));
    const result = await readResult(resultKeyOf(rejected));
    expect(result?.extra_data.errors[0]?.message).toMatch(/ends in "\.json"/);
  });

  it('rejects a key too long to carry through the pipeline, with a result that says so', async () => {
    // Prepare: 575 bytes, in segments a filesystem holds.
    const key = `submissions/oli/${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(150)}.json`;
    const event = await uploadAndCaptureEvent(s3, SUBMISSIONS, key, await example('tiny.json'));
    // Act
    const outcomes = await handler()(event);
    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['rejected']);
    expect(batch.commandCalls(SubmitJobCommand)).toHaveLength(0);
    const result = await readResult(resultKeyOf(outcomes));
    expect(result?.extra_data.errors[0]?.message).toMatch(
      /bytes long; submission keys may be at most 512/,
    );
  });

  it("cancels a student's older job still in the queue when a newer upload is accepted", async () => {
    // Prepare
    batch.reset();
    batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    batch
      .on(SubmitJobCommand)
      .resolvesOnce({ jobId: 'job-old', jobName: 'g', jobArn: 'a' })
      .resolves({ jobId: 'job-new', jobName: 'g', jobArn: 'a' });
    batch.on(CancelJobCommand).resolves({});
    const first = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/pia/a.json',
      await example('tiny.json'),
    );
    const second = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/pia/b.json',
      await example('tiny.json'),
    );
    // Act
    const older = await handler()(first);
    const newer = await handler()(second);
    // Assess
    const cancels = batch.commandCalls(CancelJobCommand);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]?.args[0].input.jobId).toBe('job-old');
    const olderRecord = await state.get('pia', older[0] && 'id' in older[0] ? older[0].id : '');
    expect(olderRecord?.superseded_by).toBe(newer[0] && 'id' in newer[0] ? newer[0].id : '');
  });

  it('rejects a valid upload beyond the per-student cap when older jobs are not superseded', async () => {
    // Prepare
    const capped = makeOnSubmissionHandler({
      env: { ...env, AUTOGRADER_MAX_QUEUED_PER_STUDENT: '1', AUTOGRADER_SUPERSEDE: 'false' },
      clients: { s3: s3.client, batch: new BatchClient({ region: 'us-east-1' }), state },
      log: () => {},
    });
    const first = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/quin/a.json',
      await example('tiny.json'),
    );
    const second = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/quin/b.json',
      await example('tiny.json'),
    );
    // Act
    const accepted = await capped(first);
    const refused = await capped(second);
    // Assess
    expect(accepted.map((o) => o.status)).toEqual(['launched']);
    expect(refused.map((o) => o.status)).toEqual(['rejected']);
    const result = await readResult(resultKeyOf(refused));
    expect(result?.extra_data.errors[0]?.message).toMatch(/already have 1 submissions waiting/);
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
