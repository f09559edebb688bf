import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchJobStateChange,
  makeOnJobFailedHandler,
} from '../../functions/on-job-failed/index.js';
import { jobEnvironment } from '../../src/launch/index.js';
import { type BatchJobDetail, classifyJobFailure } from '../../src/pipeline/index.js';
import { buildFailureResult, buildRejectedResult } from '../../src/rubric/index.js';
import { S3ObjectStore } from '../../src/storage/index.js';
import { readResultFile, startTestS3, type TestS3 } from '../helpers/s3rver.js';

const SUBMISSIONS = 'course-submissions';
const RESULTS = 'course-results';
const env = { AUTOGRADER_SUBMISSIONS_BUCKET: SUBMISSIONS, AUTOGRADER_RESULTS_BUCKET: RESULTS };

let s3: TestS3;
let submissions: S3ObjectStore;
let results: S3ObjectStore;

/** A FAILED "Batch Job State Change" event for a grading job of this student's submission. */
function failedJobEvent(student: string, detail: Partial<BatchJobDetail>): BatchJobStateChange {
  const environment = jobEnvironment({
    submission: { bucket: SUBMISSIONS, key: `submissions/${student}/net.json` },
    result: { bucket: RESULTS, key: `results/${student}/net.json` },
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
      jobName: `grade-${student}-net`,
      status: 'FAILED',
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

const handler = () => makeOnJobFailedHandler({ env, clients: { s3: s3.client }, log: () => {} });

beforeAll(async () => {
  s3 = await startTestS3([SUBMISSIONS, RESULTS]);
  submissions = new S3ObjectStore({ bucket: SUBMISSIONS, client: s3.client });
  results = new S3ObjectStore({ bucket: RESULTS, client: s3.client });
});
afterAll(async () => {
  await s3.close();
});

describe('on-job-failed', () => {
  it('writes a result saying the job timed out', async () => {
    // Prepare
    await submissions.put('submissions/gina/net.json', '{"assignment":"cifar10-conv"}');
    const event = failedJobEvent('gina', {
      statusReason: 'Job attempt duration exceeded timeout',
    });
    // Act
    const outcome = await handler()(event);
    // Assess
    expect(outcome).toMatchObject({ status: 'written', reason: 'timeout' });
    const result = await readResult('results/gina/net.json');
    expect(result?.score).toBe(0);
    expect(result?.extra_data.outcome).toBe('failed');
    expect(result?.extra_data.failure?.reason).toBe('timeout');
    expect(result?.extra_data.failure?.message).toContain('Job attempt duration exceeded timeout');
    expect(result?.extra_data.submission).toMatchObject({
      source: `s3://${SUBMISSIONS}/submissions/gina/net.json`,
      bytes: 29,
    });
  });

  it('keeps the final result the job wrote before it exited non-zero', async () => {
    // Prepare
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
    await results.put('results/hank/net.json', stored);
    // Act
    const outcome = await handler()(failedJobEvent('hank', { container: { exitCode: 1 } }));
    // Assess
    expect(outcome.status).toBe('kept');
    expect(new TextDecoder().decode(await results.get('results/hank/net.json'))).toBe(stored);
  });

  it('replaces a result left by an earlier upload of the same key', async () => {
    // Prepare
    const earlier = buildRejectedResult({
      errors: [{ path: '', message: 'old' }],
      identity: {
        sha256: null,
        bytes: null,
        source: `s3://${SUBMISSIONS}/submissions/iris/net.json?versionId=v0`,
      },
    });
    await results.put('results/iris/net.json', JSON.stringify(earlier));
    const event = failedJobEvent('iris', {
      container: {
        exitCode: 137,
        reason: 'OutOfMemoryError: Container killed due to memory usage',
      },
    });
    // Act
    const outcome = await handler()(event);
    // Assess
    expect(outcome).toMatchObject({ status: 'written', reason: 'out_of_memory' });
    expect((await readResult('results/iris/net.json'))?.extra_data.outcome).toBe('failed');
  });

  it('ignores a job whose environment names no submission', async () => {
    // Prepare
    const event = failedJobEvent('jack', {});
    event.detail.container = { environment: [] };
    // Act
    const outcome = await handler()(event);
    // Assess
    expect(outcome.status).toBe('ignored');
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
