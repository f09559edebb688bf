import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type BatchJobStateChange,
  makeOnJobStateHandler,
} from '../../functions/on-job-state/index.js';
import { readLambdaConfig } from '../../src/config.js';
import { jobEnvironment } from '../../src/launch/index.js';
import {
  type BatchJobDetail,
  classifyJobFailure,
  handleJobStateChange,
  jobFailedDepsFor,
} from '../../src/pipeline/index.js';
import { buildFailureResult } from '../../src/rubric/index.js';
import { createDynamoDbStateStore, type SubmissionStateStore } from '../../src/state/index.js';
import { type ObjectStore, S3ObjectStore, StorageError } from '../../src/storage/index.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite.js';
import { readResultFile, startTestS3, type TestS3 } from '../helpers/s3rver.js';

const SUBMISSIONS = 'course-submissions';
const RESULTS = 'course-results';
const env = {
  AUTOGRADER_SUBMISSIONS_BUCKET: SUBMISSIONS,
  AUTOGRADER_RESULTS_BUCKET: RESULTS,
  AUTOGRADER_STATE_TABLE: 'unused: the store is injected',
};

let s3: TestS3;
let dynamo: TestDynamo;
let state: SubmissionStateStore;
let submissions: S3ObjectStore;
let results: S3ObjectStore;

/** A submission of this student, queued as job job-<student>, as intake leaves it. */
async function queuedSubmission(student: string, id = 'net-000000000001') {
  const key = `submissions/${student}/net.json`;
  await state.claim({
    student,
    id,
    object: { bucket: SUBMISSIONS, key, upload: 'key' },
    owner: 'intake',
    lease_ms: 60_000,
  });
  return state.transition(student, id, {
    from: ['claiming'],
    to: 'queued',
    owner: 'intake',
    set: { job_id: `job-${student}`, job_name: `grade-${student}` },
  });
}

/** A "Batch Job State Change" event for the grading job of this student's submission. */
function jobEvent(
  student: string,
  detail: Partial<BatchJobDetail>,
  id = 'net-000000000001',
): BatchJobStateChange {
  const environment = jobEnvironment({
    submission: { bucket: SUBMISSIONS, key: `submissions/${student}/net.json` },
    result: { bucket: RESULTS, key: `results/${student}/${id}.json` },
    record: { student, id },
  });
  return {
    version: '0',
    id: `event-${student}`,
    'detail-type': 'Batch Job State Change',
    source: 'aws.batch',
    account: '123456789012',
    time: '2026-11-26T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      jobId: `job-${student}`,
      jobName: `grade-${student}`,
      status: detail.status ?? 'FAILED',
      container: {
        environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
        ...detail.container,
      },
      ...(detail.statusReason ? { statusReason: detail.statusReason } : {}),
      ...(detail.attempts ? { attempts: detail.attempts } : {}),
    },
  };
}

const readResult = (key: string) => readResultFile(results, key);

const handler = () =>
  makeOnJobStateHandler({ env, clients: { s3: s3.client, state }, log: () => {} });

beforeAll(async () => {
  s3 = await startTestS3([SUBMISSIONS, RESULTS]);
  dynamo = await startTestDynamo();
  submissions = new S3ObjectStore({ bucket: SUBMISSIONS, client: s3.client });
  results = new S3ObjectStore({ bucket: RESULTS, client: s3.client });
});
beforeEach(async () => {
  state = createDynamoDbStateStore({ tableName: await dynamo.newTable(), client: dynamo.client });
});
afterAll(async () => {
  await s3.close();
  await dynamo.close();
});

describe('on-job-state, for a job that failed', () => {
  it('writes a result saying the job timed out, and makes the record final', async () => {
    // Prepare
    await submissions.put('submissions/gina/net.json', '{"assignment":"cifar10-conv"}');
    await queuedSubmission('gina');
    const event = jobEvent('gina', { statusReason: 'Job attempt duration exceeded timeout' });
    // Act
    const outcome = await handler()(event);
    // Assess
    expect(outcome).toMatchObject({ status: 'written', reason: 'timeout' });
    const result = await readResult('results/gina/net-000000000001.json');
    expect(result?.score).toBe(0);
    expect(result?.extra_data.outcome).toBe('failed');
    expect(result?.extra_data.failure?.reason).toBe('timeout');
    expect(result?.extra_data.failure?.message).toContain('Job attempt duration exceeded timeout');
    expect(result?.extra_data.submission).toMatchObject({
      source: `s3://${SUBMISSIONS}/submissions/gina/net.json`,
      bytes: 29,
    });
    expect(await state.get('gina', 'net-000000000001')).toMatchObject({
      status: 'failed',
      failure: { reason: 'timeout' },
      score: 0,
    });
  });

  it('keeps the final result the job wrote before it exited non-zero', async () => {
    // Prepare
    await queuedSubmission('hank');
    const own = buildFailureResult({
      reason: 'crash',
      message: 'written by the grader itself',
      identity: {
        sha256: null,
        bytes: null,
        source: `s3://${SUBMISSIONS}/submissions/hank/net.json`,
      },
    });
    const stored = `${JSON.stringify(own)}\n`;
    await results.put('results/hank/net-000000000001.json', stored);
    // Act
    const outcome = await handler()(jobEvent('hank', { container: { exitCode: 1 } }));
    // Assess
    expect(outcome.status).toBe('kept');
    expect(new TextDecoder().decode(await results.get('results/hank/net-000000000001.json'))).toBe(
      stored,
    );
    expect((await state.get('hank', 'net-000000000001'))?.status).toBe('failed');
  });

  it('throws when the result cannot be written, so Lambda retries and then keeps the event', async () => {
    // Prepare: S3 answers 5xx to the failure result's write.
    await queuedSubmission('ivy');
    const failingPut: ObjectStore = {
      get: (key, options) => results.get(key, options),
      list: (prefix) => results.list(prefix),
      delete: (key) => results.delete(key),
      put: async () => {
        throw new StorageError('cannot write: InternalError: We encountered an internal error');
      },
    };
    const deps = jobFailedDepsFor(readLambdaConfig(env), { s3: s3.client, state });
    const event = jobEvent('ivy', { container: { exitCode: 1 } });
    // Act
    const broken = handleJobStateChange(event.detail, {
      ...deps,
      storeFor: (bucket) => (bucket === RESULTS ? failingPut : deps.storeFor(bucket)),
    });
    // Assess
    await expect(broken).rejects.toThrow(/internal error/);
    // Nothing was lost: the record is not final, so a retry (or the sweeper) still writes it.
    expect((await state.get('ivy', 'net-000000000001'))?.status).toBe('queued');
    const retried = await handler()(event);
    expect(retried).toMatchObject({ status: 'written', reason: 'crash' });
    expect((await state.get('ivy', 'net-000000000001'))?.status).toBe('failed');
  });

  it('keeps out an event about a job that no longer owns the submission', async () => {
    // Prepare
    await queuedSubmission('jo');
    await state.transition('jo', 'net-000000000001', {
      from: ['queued'],
      to: 'queued',
      set: { job_id: 'job-resubmitted' },
    });
    // Act
    const outcome = await handler()(jobEvent('jo', { container: { exitCode: 1 } }));
    // Assess
    expect(outcome).toMatchObject({
      status: 'kept',
      why: expect.stringMatching(/job-resubmitted/),
    });
    expect(await readResult('results/jo/net-000000000001.json')).toBeUndefined();
  });

  it('ignores a job whose environment names no submission', async () => {
    // Prepare
    const event = jobEvent('jack', {});
    event.detail.container = { environment: [] };
    // Act
    const outcome = await handler()(event);
    // Assess
    expect(outcome.status).toBe('ignored');
  });
});

describe('on-job-state, for a job that started or succeeded', () => {
  it('marks the record running, then graded with the score of the result the job wrote', async () => {
    // Prepare
    await queuedSubmission('kim');
    const graded = buildFailureResult({
      reason: 'crash',
      message: 'a stand-in final result',
      identity: { sha256: null, bytes: null, source: 'x' },
    });
    // Act
    const running = await handler()(jobEvent('kim', { status: 'RUNNING' }));
    const whileRunning = await state.get('kim', 'net-000000000001');
    await results.put('results/kim/net-000000000001.json', JSON.stringify(graded));
    const succeeded = await handler()(jobEvent('kim', { status: 'SUCCEEDED' }));
    // Assess
    expect(running).toMatchObject({ status: 'recorded', to: 'running' });
    expect(whileRunning?.status).toBe('running');
    expect(succeeded).toMatchObject({ status: 'recorded', to: 'failed' });
    expect(await state.get('kim', 'net-000000000001')).toMatchObject({
      status: 'failed',
      score: 0,
      max_score: 8,
    });
  });

  it('writes a failure for a job that exited 0 without its final result', async () => {
    // Prepare
    await queuedSubmission('lee');
    // Act
    const outcome = await handler()(jobEvent('lee', { status: 'SUCCEEDED' }));
    // Assess
    expect(outcome).toMatchObject({ status: 'written', reason: 'crash' });
    expect((await readResult('results/lee/net-000000000001.json'))?.extra_data.outcome).toBe(
      'failed',
    );
  });
});

describe('classifyJobFailure', () => {
  const cases: { description: string; data: BatchJobDetail; reason: string }[] = [
    {
      description: 'an attempt over its time limit',
      data: { statusReason: 'Job attempt duration exceeded timeout' },
      reason: 'timeout',
    },
    {
      description: 'a container killed for memory',
      data: {
        statusReason: 'Essential container in task exited',
        container: {
          exitCode: 137,
          reason: 'OutOfMemoryError: Container killed due to memory usage',
        },
      },
      reason: 'out_of_memory',
    },
    {
      description: 'a reclaimed spot instance on the last attempt',
      data: {
        statusReason: 'Essential container in task exited',
        attempts: [
          { statusReason: 'Host EC2 (instance i-0abc) terminated.' },
          { statusReason: 'Host EC2 (instance i-0def) terminated.' },
        ],
      },
      reason: 'host_lost',
    },
    {
      description: 'a job the queue cancelled after waiting for GPU capacity',
      data: {
        statusReason:
          'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type [g4dn.xlarge]',
      },
      reason: 'timeout',
    },
    {
      description: 'a grader that exited with an error',
      data: { statusReason: 'Essential container in task exited', container: { exitCode: 1 } },
      reason: 'crash',
    },
  ];

  it.each(cases)('calls $description "$reason"', ({ data, reason }) => {
    // Act
    const failure = classifyJobFailure(data);
    // Assess
    expect(failure.reason).toBe(reason);
    expect(failure.message.length).toBeGreaterThan(20);
  });

  it('quotes the exit code and what Batch said', () => {
    // Act
    const failure = classifyJobFailure({
      statusReason: 'Essential container in task exited',
      container: { exitCode: 3 },
    });
    // Assess
    expect(failure.message).toBe(
      'The grader stopped with exit code 3 (AWS Batch: Essential container in task exited).',
    );
  });
});
