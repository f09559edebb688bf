/**
 * regrade --stack through the submission lifecycle: real S3 protocol (s3rver on loopback), the
 * DynamoDB state store on dynalite, and Batch mocked at the SDK.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  BatchClient,
  CancelJobCommand,
  ListJobsCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BatchJobStateChange,
  makeOnJobStateHandler,
} from '../../functions/on-job-state/index.js';
import { main } from '../../src/cli/main.js';
import { BatchLauncher } from '../../src/launch/index.js';
import {
  type BatchJobDetail,
  type IntakeDeps,
  startRegrade,
  storesOn,
  sweepSubmissions,
} from '../../src/pipeline/index.js';
import { RecordDesk } from '../../src/service/record-desk.js';
import { type DeployedStack, regradeOnStack, STACK_OUTPUTS } from '../../src/staff/index.js';
import {
  createDynamoDbStateStore,
  jobNameFor,
  type SubmissionRecord,
  type SubmissionStateStore,
} from '../../src/state/index.js';
import { LOOPBACK_CREDENTIALS, S3ObjectStore } from '../../src/storage/index.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite.js';
import { captureIo } from '../helpers/io.js';
import { gradedResult } from '../helpers/results.js';
import { readResultFile, startTestS3, type TestS3 } from '../helpers/s3rver.js';

const SUBMISSIONS = 'subs';
const RESULTS = 'res';
const VALID = fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url));
const BROKEN = fileURLToPath(
  new URL('../../rubric/examples/broken/missing-flatten.json', import.meta.url),
);
const ORIGINAL_ID = 'net-000000000001';
const ORIGINAL_RESULT = `results/alice/${ORIGINAL_ID}.json`;

const batch = mockClient(BatchClient);
let s3: TestS3;
let dynamo: TestDynamo;
let table: string;
let state: SubmissionStateStore;
let results: S3ObjectStore;
let clock: number;
let stack: DeployedStack;

/** A student's upload that intake took and that graded, with its result file. */
async function gradedOriginal(student: string, file: string): Promise<SubmissionRecord> {
  const key = `submissions/${student}/net.json`;
  await new S3ObjectStore({ bucket: SUBMISSIONS, client: s3.client }).put(
    key,
    await readFile(file),
  );
  await state.claim({
    student,
    id: ORIGINAL_ID,
    object: { bucket: SUBMISSIONS, key, upload: 'key' },
    owner: 'intake',
    lease_ms: 60_000,
  });
  await state.transition(student, ORIGINAL_ID, {
    from: ['claiming'],
    to: 'queued',
    owner: 'intake',
    set: { job_id: `job-${student}-0`, job_name: jobNameFor(student, ORIGINAL_ID) },
  });
  await results.put(
    `results/${student}/${ORIGINAL_ID}.json`,
    JSON.stringify(gradedResult({ accuracy: 50 })),
  );
  return state.transition(student, ORIGINAL_ID, {
    from: ['queued'],
    to: 'graded',
    set: { score: 6, max_score: 8 },
  });
}

/** The SubmitJob calls Batch received, as job id, name, share and environment. */
function submittedJobs() {
  return batch.commandCalls(SubmitJobCommand).map((call, index) => {
    const input = call.args[0].input;
    const environment = Object.fromEntries(
      (input.containerOverrides?.environment ?? []).map((e) => [e.name, e.value]),
    );
    return { jobId: `job-${index + 1}`, input, environment };
  });
}

/** Batch's state-change event for a submitted job, as EventBridge delivers it. */
function jobEvent(
  job: ReturnType<typeof submittedJobs>[number],
  status: string,
  extra: Partial<BatchJobDetail> = {},
): BatchJobStateChange {
  return {
    version: '0',
    id: `event-${job.jobId}-${status}`,
    'detail-type': 'Batch Job State Change',
    source: 'aws.batch',
    account: '123456789012',
    time: '2026-12-02T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      jobId: job.jobId,
      jobName: job.input.jobName,
      status,
      container: { environment: job.input.containerOverrides?.environment ?? [] },
      ...extra,
    },
  };
}

const onJobState = () =>
  makeOnJobStateHandler({
    env: {
      AUTOGRADER_SUBMISSIONS_BUCKET: SUBMISSIONS,
      AUTOGRADER_RESULTS_BUCKET: RESULTS,
      AUTOGRADER_STATE_TABLE: table,
    },
    clients: { s3: s3.client, dynamodb: dynamo.client },
    log: () => {},
  });

const regrade = (students: string[]) =>
  regradeOnStack(
    stack,
    students.map((student) => ({
      student,
      key: `${student}/net.json`,
      uploadedAt: new Date(clock),
    })),
    {
      s3: s3.client,
      batch: new BatchClient({ region: 'us-east-1' }),
      dynamodb: dynamo.client,
      now: () => (clock += 1000),
    },
  );

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
  batch.reset();
  let jobs = 0;
  batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  batch.on(SubmitJobCommand).callsFake(() => {
    jobs += 1;
    return { jobId: `job-${jobs}`, jobName: 'x', jobArn: `arn:job-${jobs}` };
  });
  batch.on(CancelJobCommand).resolves({});
  clock = Date.parse('2026-12-02T10:00:00Z');
  table = await dynamo.newTable();
  state = createDynamoDbStateStore({
    tableName: table,
    client: dynamo.client,
    now: () => clock,
  });
  stack = {
    name: 'Course',
    submissionsBucket: SUBMISSIONS,
    uploadPrefix: 'submissions/',
    resultsBucket: RESULTS,
    resultsPrefix: 'results/',
    jobQueueArn: 'arn:aws:batch:us-east-1:1:job-queue/q',
    jobDefinitionArn: 'arn:aws:batch:us-east-1:1:job-definition/d:1',
    stateTable: table,
  };
});

describe('regrade --stack', () => {
  it('creates a new queued record per target, its job named after the new id, and leaves the originals alone', async () => {
    // Prepare
    const alice = await gradedOriginal('alice', VALID);
    const aliceResult = await results.get(ORIGINAL_RESULT);
    // Act
    const outcomes = await regrade(['alice']);
    // Assess
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'queued', jobId: 'job-1', regradeOf: ORIGINAL_ID }),
    ]);
    const newId = outcomes[0]?.id ?? '';
    expect(newId).toMatch(/^\d{8}T\d{9}Z-[a-z2-7]{8}-regrade$/);
    const records = await state.listByStudent('alice');
    expect(records).toHaveLength(2);
    expect(await state.get('alice', ORIGINAL_ID)).toEqual(alice);
    expect(await results.get(ORIGINAL_RESULT)).toEqual(aliceResult);
    expect(await state.get('alice', newId)).toMatchObject({
      status: 'queued',
      job_id: 'job-1',
      job_name: jobNameFor('alice', newId),
      regrade_of: ORIGINAL_ID,
      result_key: `results/alice/${newId}.json`,
      object: { bucket: SUBMISSIONS, key: 'submissions/alice/net.json' },
    });
    const [job] = submittedJobs();
    expect(job?.input).toMatchObject({
      jobName: jobNameFor('alice', newId),
      jobQueue: stack.jobQueueArn,
      jobDefinition: stack.jobDefinitionArn,
      shareIdentifier: 'alice',
    });
    expect(job?.environment).toMatchObject({
      AUTOGRADER_JOB_SUBMISSION_KEY: 'submissions/alice/net.json',
      AUTOGRADER_JOB_RESULT_BUCKET: RESULTS,
      AUTOGRADER_JOB_RESULT_KEY: `results/alice/${newId}.json`,
      AUTOGRADER_JOB_STUDENT: 'alice',
      AUTOGRADER_JOB_SUBMISSION_ID: newId,
    });
  });

  it('gives on-job-state a job it accepts: running, then graded with the score of the new result', async () => {
    // Prepare
    await gradedOriginal('alice', VALID);
    const [outcome] = await regrade(['alice']);
    const [job] = submittedJobs();
    if (!outcome || !job) throw new Error('no regrade job');
    const regraded = gradedResult({ accuracy: 64 });
    // Act
    const running = await onJobState()(jobEvent(job, 'RUNNING'));
    await results.put(outcome.resultKey, JSON.stringify(regraded));
    const succeeded = await onJobState()(jobEvent(job, 'SUCCEEDED'));
    // Assess
    expect(running).toMatchObject({ status: 'recorded', to: 'running', id: outcome.id });
    expect(succeeded).toMatchObject({ status: 'recorded', to: 'graded', id: outcome.id });
    expect(await state.get('alice', outcome.id)).toMatchObject({
      status: 'graded',
      score: regraded.score,
      regrade_of: ORIGINAL_ID,
    });
    expect(await state.get('alice', ORIGINAL_ID)).toMatchObject({ status: 'graded', score: 6 });
  });

  it("writes a failed regrade's failure result at the regrade's own key, not the original's", async () => {
    // Prepare
    await gradedOriginal('alice', VALID);
    const before = await results.get(ORIGINAL_RESULT);
    const [outcome] = await regrade(['alice']);
    const [job] = submittedJobs();
    if (!outcome || !job) throw new Error('no regrade job');
    // Act
    const failed = await onJobState()(
      jobEvent(job, 'FAILED', {
        statusReason: 'Job attempt duration exceeded timeout',
        attempts: [{ statusReason: 'Job attempt duration exceeded timeout' }],
      }),
    );
    // Assess
    expect(failed).toMatchObject({ status: 'written', reason: 'timeout' });
    const result = await readResultFile(results, outcome.resultKey);
    expect(result?.extra_data).toMatchObject({ outcome: 'failed', failure: { reason: 'timeout' } });
    expect(await state.get('alice', outcome.id)).toMatchObject({ status: 'failed' });
    expect(await results.get(ORIGINAL_RESULT)).toEqual(before);
  });

  it('makes every run a new submission with a new result key, so a second run overwrites nothing', async () => {
    // Prepare
    await gradedOriginal('alice', VALID);
    const [first] = await regrade(['alice']);
    if (!first) throw new Error('no first regrade');
    const firstResult = JSON.stringify(gradedResult({ accuracy: 61 }));
    await results.put(first.resultKey, firstResult);
    // Act
    const [second] = await regrade(['alice']);
    // Assess
    expect(second?.status).toBe('queued');
    expect(second?.id).not.toBe(first.id);
    expect(second?.resultKey).not.toBe(first.resultKey);
    expect(new TextDecoder().decode(await results.get(first.resultKey))).toBe(firstResult);
    const [, secondJob] = submittedJobs();
    expect(secondJob?.input.jobName).toBe(jobNameFor('alice', second?.id ?? ''));
    expect((await state.listByStudent('alice')).map((r) => r.regrade_of ?? 'upload')).toEqual([
      ORIGINAL_ID,
      ORIGINAL_ID,
      'upload',
    ]);
  });

  it('records a submission that no longer validates as a rejected regrade and goes on with the rest', async () => {
    // Prepare
    await gradedOriginal('alice', VALID);
    await gradedOriginal('bob', BROKEN);
    // Act
    const outcomes = await regrade(['alice', 'bob']);
    // Assess
    expect(outcomes.map((o) => [o.target.student, o.status])).toEqual([
      ['alice', 'queued'],
      ['bob', 'rejected'],
    ]);
    const bob = outcomes[1];
    const rejection = await readResultFile(results, bob?.resultKey ?? '');
    expect(rejection?.extra_data.outcome).toBe('rejected');
    expect(await state.get('bob', bob?.id ?? '')).toMatchObject({
      status: 'rejected',
      regrade_of: ORIGINAL_ID,
    });
    expect(submittedJobs()).toHaveLength(1);
  });

  it("shows the regrade in the student's history, marked, beside the untouched original", async () => {
    // Prepare
    await gradedOriginal('alice', VALID);
    const [outcome] = await regrade(['alice']);
    const desk = new RecordDesk({
      records: state,
      submissions: new S3ObjectStore({ bucket: SUBMISSIONS, client: s3.client }),
      submissionsBucket: SUBMISSIONS,
      results,
    });
    // Act
    const history = await desk.list('alice');
    // Assess
    expect(history).toEqual([
      expect.objectContaining({ id: outcome?.id, status: 'queued', regrade_of: ORIGINAL_ID }),
      expect.objectContaining({ id: ORIGINAL_ID, status: 'graded', score: 6 }),
    ]);
    expect(history[1]).not.toHaveProperty('regrade_of');
  });

  it("sends a light regrade to the stack's CPU route, as intake sends a light upload", async () => {
    // Prepare
    await gradedOriginal('alice', VALID);
    stack = {
      ...stack,
      cpuRoute: { jobQueueArn: 'cpu-queue', jobDefinitionArn: 'cpu-job', maxTrainingMacs: 1e18 },
    };
    // Act
    const [outcome] = await regrade(['alice']);
    // Assess
    expect(outcome?.status).toBe('queued');
    expect(submittedJobs()[0]?.input).toMatchObject({
      jobQueue: 'cpu-queue',
      jobDefinition: 'cpu-job',
    });
  });

  it('says which output is missing when the stack names no records table', async () => {
    // Prepare
    const { stateTable: _table, ...older } = stack;
    // Act
    const attempt = regradeOnStack(older, [], { s3: s3.client });
    // Assess
    await expect(attempt).rejects.toThrow(/no output SubmissionTableName/);
  });
});

describe('a regrade and the student queue', () => {
  function intakeDeps(queue: IntakeDeps['queue']): IntakeDeps {
    const storeFor = storesOn(s3.client);
    return {
      submissionsBucket: SUBMISSIONS,
      resultsBucket: RESULTS,
      submissions: storeFor(SUBMISSIONS),
      results: storeFor(RESULTS),
      state,
      launcher: new BatchLauncher({
        jobQueue: stack.jobQueueArn,
        jobDefinition: stack.jobDefinitionArn,
        client: new BatchClient({ region: 'us-east-1' }),
      }),
      now: () => clock,
      ...(queue ? { queue } : {}),
    };
  }

  /** alice's upload whose job still waits in the queue. */
  async function waitingUpload(): Promise<SubmissionRecord> {
    await new S3ObjectStore({ bucket: SUBMISSIONS, client: s3.client }).put(
      'submissions/alice/net.json',
      await readFile(VALID),
    );
    await state.claim({
      student: 'alice',
      id: ORIGINAL_ID,
      object: { bucket: SUBMISSIONS, key: 'submissions/alice/net.json', upload: 'key' },
      owner: 'intake',
      lease_ms: 60_000,
    });
    return state.transition('alice', ORIGINAL_ID, {
      from: ['claiming'],
      to: 'queued',
      owner: 'intake',
      set: { job_id: 'job-waiting', job_name: jobNameFor('alice', ORIGINAL_ID) },
    });
  }

  const request = {
    student: 'alice',
    regradeOf: ORIGINAL_ID,
    object: { bucket: SUBMISSIONS, key: 'submissions/alice/net.json' },
  };

  it("does not cancel the student's own waiting job", async () => {
    // Prepare
    const waiting = await waitingUpload();
    clock += 1000;
    // Act
    const outcome = await startRegrade(
      request,
      intakeDeps({ maxQueuedPerStudent: 3, supersede: true }),
    );
    // Assess
    expect(outcome.status).toBe('launched');
    expect(batch.commandCalls(CancelJobCommand)).toHaveLength(0);
    expect(await state.get('alice', ORIGINAL_ID)).toEqual(waiting);
  });

  it("is not refused by the student's cap on waiting jobs, and does not count towards it", async () => {
    // Prepare
    await waitingUpload();
    const capped = intakeDeps({ maxQueuedPerStudent: 1, supersede: false });
    // Act
    const regraded = await startRegrade(request, capped);
    const again = await startRegrade(request, capped);
    // Assess
    expect(regraded.status).toBe('launched');
    expect(again.status).toBe('launched');
    expect(submittedJobs()).toHaveLength(2);
  });

  it('is finished by the sweeper, still as a regrade, when the command died after creating its record', async () => {
    // Prepare
    await waitingUpload();
    await state.register({
      student: 'alice',
      id: '20261202T100000000Z-aaaaaaaa-regrade',
      object: { bucket: SUBMISSIONS, key: 'submissions/alice/net.json' },
      regrade_of: ORIGINAL_ID,
    });
    clock += 16 * 60_000;
    const intake = intakeDeps({ maxQueuedPerStudent: 3, supersede: true });
    // Act
    const entries = await sweepSubmissions({
      intake,
      jobState: { storeFor: storesOn(s3.client), state },
      jobStaleMs: 24 * 60 * 60_000,
      now: () => clock,
    });
    // Assess
    expect(entries).toEqual([
      expect.objectContaining({ action: 'intake-resumed', detail: 'launched' }),
    ]);
    expect(await state.get('alice', '20261202T100000000Z-aaaaaaaa-regrade')).toMatchObject({
      status: 'queued',
      regrade_of: ORIGINAL_ID,
    });
    expect(batch.commandCalls(CancelJobCommand)).toHaveLength(0);
  });
});

describe('autograder regrade --stack (CLI)', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  afterEach(() => {
    vi.unstubAllEnvs();
    cloudFormation.reset();
  });

  it('prints each new regrade with its original, job and result key, routes by the stack outputs, and exits 0 when all are queued', async () => {
    // Prepare
    await gradedOriginal('alice', VALID);
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Course' }).resolves({
      Stacks: [
        {
          StackName: 'Course',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [
            [STACK_OUTPUTS.submissionsBucket, SUBMISSIONS],
            [STACK_OUTPUTS.uploadPrefix, 'submissions/'],
            [STACK_OUTPUTS.resultsBucket, RESULTS],
            [STACK_OUTPUTS.resultsPrefix, 'results/'],
            [STACK_OUTPUTS.jobQueueArn, stack.jobQueueArn],
            [STACK_OUTPUTS.jobDefinitionArn, stack.jobDefinitionArn],
            [STACK_OUTPUTS.stateTable, table],
            [STACK_OUTPUTS.cpuJobQueueArn, 'cpu-queue'],
            [STACK_OUTPUTS.cpuJobDefinitionArn, 'cpu-job'],
            [STACK_OUTPUTS.cpuMaxTrainingMacs, '1000000000000000000'],
          ].map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    // The command makes its own clients: point DynamoDB's at dynalite, S3's at s3rver.
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', LOOPBACK_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOOPBACK_CREDENTIALS.secretAccessKey);
    const io = captureIo({ env: { AUTOGRADER_S3_ENDPOINT: s3.server.endpoint } });
    // Act
    // Other tests left bob's upload in the bucket: ask for alice only.
    const code = await main(['regrade', '--stack', 'Course', '--students', 'alice'], io);
    // Assess
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const id = /alice\s+queued\s+(\S+-regrade) \(regrade of net-000000000001\)\s+job job-1/.exec(
      io.out(),
    )?.[1];
    expect(id).toBeDefined();
    expect(io.out()).toContain(`s3://${RESULTS}/results/alice/${id}.json`);
    expect(await state.get('alice', id ?? '')).toMatchObject({ status: 'queued', job_id: 'job-1' });
    expect(submittedJobs()[0]?.input.jobQueue).toBe('cpu-queue');
  });
});
