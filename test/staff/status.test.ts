import { BatchClient, ListJobsCommand } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { queueStatus, renderQueueStatus, STACK_OUTPUTS } from '../../src/staff/index.js';
import { captureIo } from '../helpers/io.js';

const QUEUE = 'arn:aws:batch:us-east-1:123456789012:job-queue/grader';
const batch = mockClient(BatchClient);
const cloudFormation = mockClient(CloudFormationClient);
const minute = (m: number) => Date.UTC(2026, 11, 2, 8, m);

function job(id: string, createdMinute: number, extra: Record<string, unknown> = {}) {
  return { jobId: id, jobName: `grade-${id}`, createdAt: minute(createdMinute), ...extra };
}

/** A queue with 3 runnable jobs over two pages, 1 starting, 2 running, 1 failed, 4 succeeded. */
function mockQueue(): void {
  batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  batch
    .on(ListJobsCommand, { jobQueue: QUEUE, jobStatus: 'RUNNABLE' })
    .resolvesOnce({ jobSummaryList: [job('alice-a', 20), job('bob-b', 5)], nextToken: 't1' })
    .resolvesOnce({ jobSummaryList: [job('carol-c', 12)] });
  batch
    .on(ListJobsCommand, { jobQueue: QUEUE, jobStatus: 'STARTING' })
    .resolves({ jobSummaryList: [job('dave-d', 8)] });
  batch
    .on(ListJobsCommand, { jobQueue: QUEUE, jobStatus: 'RUNNING' })
    .resolves({ jobSummaryList: [job('r1', 1), job('r2', 2)] });
  batch.on(ListJobsCommand, { jobQueue: QUEUE, jobStatus: 'FAILED' }).resolves({
    jobSummaryList: [
      job('erin-e', 0, {
        stoppedAt: minute(30),
        statusReason: 'Job attempt duration exceeded timeout',
      }),
    ],
  });
  batch.on(ListJobsCommand, { jobQueue: QUEUE, jobStatus: 'SUCCEEDED' }).resolves({
    jobSummaryList: [job('s1', 0), job('s2', 0), job('s3', 0), job('s4', 0)],
  });
}

beforeEach(() => {
  batch.reset();
  cloudFormation.reset();
});

describe('queue status', () => {
  it('counts jobs per state across pages and finds the one waiting longest', async () => {
    // Prepare
    mockQueue();
    // Act
    const status = await queueStatus(new BatchClient({ region: 'us-east-1' }), QUEUE);
    // Assess
    expect(status).toMatchObject({ queued: 4, running: 2, failed: 1, finished: 4 });
    expect(status.byState).toMatchObject({ SUBMITTED: 0, PENDING: 0, RUNNABLE: 3, STARTING: 1 });
    expect(status.oldestWaiting).toEqual({
      jobId: 'bob-b',
      jobName: 'grade-bob-b',
      status: 'RUNNABLE',
      createdAt: new Date(minute(5)),
    });
    expect(status.recentFailures).toEqual([
      {
        jobId: 'erin-e',
        jobName: 'grade-erin-e',
        stoppedAt: new Date(minute(30)),
        reason: 'Job attempt duration exceeded timeout',
      },
    ]);
  });

  it('prints the counts, how long the oldest has waited, and the latest failures', async () => {
    // Prepare
    mockQueue();
    const status = await queueStatus(new BatchClient({ region: 'us-east-1' }), QUEUE);
    // Act
    const text = renderQueueStatus(status, 'Course', new Date(minute(45)));
    // Assess
    expect(text).toMatch(/queued\s+4 {2}\(submitted 0, pending 0, runnable 3, starting 1\)/);
    expect(text).toMatch(/running\s+2/);
    expect(text).toContain(
      'Oldest waiting: grade-bob-b (job bob-b), RUNNABLE, waiting 40 min since 2026-12-02 08:05 UTC',
    );
    expect(text).toContain('grade-erin-e (job erin-e), 2026-12-02 08:30 UTC: Job attempt duration');
  });

  it('says so when nothing waits', async () => {
    // Prepare
    batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    // Act
    const status = await queueStatus(new BatchClient({ region: 'us-east-1' }), QUEUE);
    // Assess
    expect(status.oldestWaiting).toBeNull();
    expect(renderQueueStatus(status, 'Course', new Date())).toContain('Nothing is waiting.');
  });
});

describe('autograder status --stack (CLI)', () => {
  it("reads the stack's queue and prints its status", async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Course' }).resolves({
      Stacks: [
        {
          StackName: 'Course',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: Object.values(STACK_OUTPUTS).map((key) => ({
            OutputKey: key,
            OutputValue: key === STACK_OUTPUTS.jobQueueArn ? QUEUE : `value-of-${key}`,
          })),
        },
      ],
    });
    mockQueue();
    const io = captureIo();
    // Act
    const code = await main(['status', '--stack', 'Course'], io);
    // Assess
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(io.out()).toContain(`Stack Course, job queue ${QUEUE}`);
    expect(io.out()).toContain('Oldest waiting: grade-bob-b');
  });

  it('turns a stack that cannot be read into a usage error that names it', async () => {
    // Prepare
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(new Error('Stack with id Nope does not exist'));
    const io = captureIo();
    // Act
    const code = await main(['status', '--stack', 'Nope'], io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain('cannot read stack Nope');
    expect(io.err()).toContain('does not exist');
  });
});
