/**
 * The lifecycle under injected faults: every upload ends with exactly one result file of its
 * own, whatever order jobs finish in and whichever handler fails. Real S3 protocol (s3rver on
 * loopback) and the files-on-disk state store; jobs are run by hand so the test picks the order.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import type {
  GradeJobRequest,
  JobDetail,
  JobLauncher,
  LaunchedJob,
} from '../../src/launch/index.js';
import { jobEnvironment } from '../../src/launch/index.js';
import { runGradeJob } from '../../src/pipeline/grade-job.js';
import {
  handleJobStateChange,
  handleSubmission,
  type IntakeDeps,
  type IntakeOutcome,
  type JobStateDeps,
  storesOn,
  submissionsInEvent,
  sweepSubmissions,
} from '../../src/pipeline/index.js';
import type { ResultFile } from '../../src/rubric/index.js';
import { createFileSystemStateStore, type SubmissionStateStore } from '../../src/state/index.js';
import { type ObjectStore, StorageError } from '../../src/storage/index.js';
import { type FakeAnswer, fakeTrainer } from '../fixtures/grade/fake-trainer.js';
import { uploadAndCaptureEvent } from '../helpers/s3-events.js';
import { readResultFile, startTestS3, type TestS3 } from '../helpers/s3rver.js';

const SUBMISSIONS = 'subs';
const RESULTS = 'results';
const DATA = syntheticCifar10({ train: 16, test: 8, seed: 5 });
const BACKEND = {
  name: 'cpu' as const,
  version: 'test',
  detail: 'test double',
  device: 'cpu',
  threads: 1,
};
const example = (name: string) =>
  readFile(fileURLToPath(new URL(`../../rubric/examples/${name}`, import.meta.url)));

/** A job queue the test drives: jobs wait until the test runs, fails or loses them. */
class ManualJobs implements JobLauncher {
  readonly requests = new Map<string, GradeJobRequest>();
  readonly details = new Map<string, JobDetail>();
  readonly cancelled: string[] = [];
  private count = 0;

  async launch(request: GradeJobRequest): Promise<LaunchedJob> {
    for (const [id, known] of this.requests) {
      if (known.jobName === request.jobName) return { id, launcher: 'in-process', existing: true };
    }
    const id = `job-${++this.count}`;
    this.requests.set(id, request);
    this.details.set(id, this.detail(id, 'RUNNABLE'));
    return { id, launcher: 'in-process' };
  }

  async cancel(jobId: string, reason: string): Promise<void> {
    this.cancelled.push(jobId);
    if (this.details.get(jobId)?.status === 'RUNNABLE') {
      this.details.set(jobId, { ...this.detail(jobId, 'FAILED'), statusReason: reason });
    }
  }

  async describe(jobIds: string[]): Promise<JobDetail[]> {
    return jobIds.flatMap((id) => this.details.get(id) ?? []);
  }

  detail(jobId: string, status: string, extra: Partial<JobDetail> = {}): JobDetail {
    const request = this.requests.get(jobId);
    if (!request) throw new Error(`no ${jobId}`);
    const environment = Object.entries(jobEnvironment(request)).map(([name, value]) => ({
      name,
      value,
    }));
    return { jobId, jobName: request.jobName, status, container: { environment }, ...extra };
  }
}

let s3: TestS3;
let stateDir: string;
let state: SubmissionStateStore;
let jobs: ManualJobs;
let intake: IntakeDeps;
let jobState: JobStateDeps;
let results: ObjectStore;
let clock: number;

beforeEach(async () => {
  s3 = await startTestS3([SUBMISSIONS, RESULTS]);
  stateDir = await mkdtemp(path.join(tmpdir(), 'lifecycle-'));
  clock = Date.parse('2026-12-02T09:00:00Z');
  state = createFileSystemStateStore(stateDir, { now: () => clock });
  jobs = new ManualJobs();
  const storeFor = storesOn(s3.client);
  results = storeFor(RESULTS);
  intake = {
    submissionsBucket: SUBMISSIONS,
    resultsBucket: RESULTS,
    submissions: storeFor(SUBMISSIONS),
    results,
    state,
    launcher: jobs,
    now: () => clock,
  };
  jobState = { storeFor, state };
});
afterEach(async () => {
  await s3.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Uploads bytes under the key and delivers S3's event to intake. */
async function upload(key: string, bytes: Uint8Array | string): Promise<IntakeOutcome> {
  const event = await uploadAndCaptureEvent(s3, SUBMISSIONS, key, bytes);
  const [ref] = submissionsInEvent(event);
  if (!ref) throw new Error('no upload in the event');
  clock += 1000;
  return handleSubmission(ref, intake);
}

function idOf(outcome: IntakeOutcome): string {
  if (!('id' in outcome)) throw new Error(`no id: ${outcome.status}`);
  return outcome.id;
}

/** Runs a queued job to its end with a trainer double, and reports the end as Batch would. */
async function runJob(jobId: string, answers: Record<string, FakeAnswer> = {}): Promise<void> {
  const request = jobs.requests.get(jobId);
  if (!request) throw new Error(`no ${jobId}`);
  await handleJobStateChange(jobs.detail(jobId, 'RUNNING'), jobState);
  const code = await runGradeJob(request, {
    storeFor: storesOn(s3.client),
    loadData: async () => DATA,
    selectBackend: async () => BACKEND,
    train: fakeTrainer(answers),
  });
  const end = jobs.detail(jobId, code === 0 ? 'SUCCEEDED' : 'FAILED', {
    attempts: [{ container: { exitCode: code } }],
  });
  jobs.details.set(jobId, end);
  await handleJobStateChange(end, jobState);
}

async function resultOf(student: string, id: string): Promise<ResultFile | undefined> {
  return readResultFile(results, `results/${student}/${id}.json`);
}

/** Every upload of the student has a final record and exactly its own result file. */
async function expectOneResultPerUpload(student: string, uploads: number): Promise<void> {
  const records = await state.listByStudent(student);
  expect(records).toHaveLength(uploads);
  for (const record of records) {
    expect(['graded', 'rejected', 'failed']).toContain(record.status);
    expect(await resultOf(student, record.id)).toBeDefined();
  }
  expect(await results.list(`results/${student}/`)).toHaveLength(uploads);
}

describe('one result per upload', () => {
  it("keeps a newer upload's rejection when the older upload's job finishes afterwards", async () => {
    // Prepare
    const key = 'submissions/ana/net.json';
    const older = await upload(key, await example('tiny.json'));
    const newer = await upload(key, await example('broken/missing-flatten.json'));
    const rejection = await resultOf('ana', idOf(newer));
    // Act: the stale job finishes after the newer upload was rejected.
    await runJob('job-1');
    // Assess (s3rver keeps no versions, so the old job reads the current bytes; the deployed
    // bucket is versioned and the job reads its own version)
    expect(rejection?.extra_data.outcome).toBe('rejected');
    expect(await resultOf('ana', idOf(newer))).toEqual(rejection);
    expect(await resultOf('ana', idOf(older))).toBeDefined();
    await expectOneResultPerUpload('ana', 2);
  });

  it("keeps the newer identical upload's grade when the older job then fails", async () => {
    // Prepare: the same bytes twice; the first job has already started, so it is not cancelled.
    const key = 'submissions/ben/net.json';
    const bytes = await example('tiny.json');
    const older = await upload(key, bytes);
    await handleJobStateChange(jobs.detail('job-1', 'RUNNING'), jobState);
    const newer = await upload(key, bytes);
    await runJob('job-2');
    // Act: the older job's host is lost on its last attempt.
    const lost = jobs.detail('job-1', 'FAILED', {
      statusReason: 'Host EC2 (instance i-0abc) terminated.',
      attempts: [{ statusReason: 'Host EC2 (instance i-0abc) terminated.' }],
    });
    await handleJobStateChange(lost, jobState);
    // Assess
    expect(idOf(older)).not.toBe(idOf(newer));
    expect((await resultOf('ben', idOf(newer)))?.extra_data.outcome).toBe('graded');
    expect((await resultOf('ben', idOf(older)))?.extra_data.failure?.reason).toBe('host_lost');
    await expectOneResultPerUpload('ben', 2);
  });

  it('cancels a superseded queued job, whose record and result say so', async () => {
    // Prepare
    const older = await upload('submissions/cy/a.json', await example('tiny.json'));
    // Act
    const newer = await upload('submissions/cy/b.json', await example('tiny.json'));
    const cancelled = jobs.details.get('job-1');
    if (cancelled) await handleJobStateChange(cancelled, jobState);
    await runJob('job-2');
    // Assess
    expect(jobs.cancelled).toEqual(['job-1']);
    expect(await state.get('cy', idOf(older))).toMatchObject({
      status: 'failed',
      superseded_by: idOf(newer),
      failure: { reason: 'superseded' },
    });
    expect((await resultOf('cy', idOf(older)))?.extra_data.failure?.message).toContain(idOf(newer));
    await expectOneResultPerUpload('cy', 2);
  });
});

describe('the sweeper', () => {
  const sweep = () =>
    sweepSubmissions({ intake, jobState, jobStaleMs: 60 * 60_000, now: () => clock });

  it('writes the result a failed on-job-state could not (an S3 error), once Batch says the job failed', async () => {
    // Prepare
    const outcome = await upload('submissions/dee/net.json', await example('tiny.json'));
    const failed = jobs.detail('job-1', 'FAILED', {
      statusReason: 'Job attempt duration exceeded timeout',
      attempts: [{ statusReason: 'Job attempt duration exceeded timeout' }],
    });
    jobs.details.set('job-1', failed);
    const brokenResults: ObjectStore = {
      ...results,
      get: (key, options) => results.get(key, options),
      list: (prefix) => results.list(prefix),
      delete: (key) => results.delete(key),
      put: async () => {
        throw new StorageError('cannot write: ServiceUnavailable');
      },
    };
    const broken = handleJobStateChange(failed, {
      ...jobState,
      storeFor: (bucket) => (bucket === RESULTS ? brokenResults : jobState.storeFor(bucket)),
    });
    await expect(broken).rejects.toThrow(/ServiceUnavailable/);
    // Act: Lambda's retries are spent; past the job timeout, the sweeper asks Batch.
    clock += 2 * 60 * 60_000;
    const swept = await sweep();
    // Assess
    expect(swept).toMatchObject([{ action: 'job-end-recorded', detail: 'written' }]);
    expect((await resultOf('dee', idOf(outcome)))?.extra_data.failure?.reason).toBe('timeout');
    await expectOneResultPerUpload('dee', 1);
  });

  it('resubmits a job Batch has no trace of once, then gives up with a result', async () => {
    // Prepare
    const outcome = await upload('submissions/eve/net.json', await example('tiny.json'));
    jobs.details.delete('job-1');
    clock += 2 * 60 * 60_000;
    // Act
    const first = await sweep();
    jobs.details.delete('job-2');
    clock += 2 * 60 * 60_000;
    const second = await sweep();
    // Assess
    expect(first).toMatchObject([{ action: 'resubmitted', detail: 'job-2' }]);
    expect(second).toMatchObject([{ action: 'failed-lost' }]);
    expect(await state.get('eve', idOf(outcome))).toMatchObject({
      status: 'failed',
      resubmissions: 1,
    });
    await expectOneResultPerUpload('eve', 1);
  });

  it('takes over an intake that died and whose retries ran out, and starts its job', async () => {
    // Prepare: a claim whose holder died before submitting the job.
    const event = await uploadAndCaptureEvent(
      s3,
      SUBMISSIONS,
      'submissions/fay/net.json',
      await example('tiny.json'),
    );
    const [ref] = submissionsInEvent(event);
    if (!ref) throw new Error('no upload');
    const frozen = handleSubmission(ref, {
      ...intake,
      launcher: { launch: () => new Promise<never>(() => {}) },
    });
    for (let i = 0; i < 200 && (await state.listByStudent('fay'))[0]?.job_name === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Act
    clock += 30 * 60_000;
    const swept = await sweep();
    // Assess
    expect(swept).toMatchObject([{ action: 'intake-resumed', detail: 'launched' }]);
    expect((await state.listByStudent('fay'))[0]).toMatchObject({
      status: 'queued',
      job_id: 'job-1',
    });
    expect(frozen).toBeInstanceOf(Promise);
  });

  it('leaves a job that is still waiting in the queue alone', async () => {
    // Prepare
    await upload('submissions/gus/net.json', await example('tiny.json'));
    clock += 2 * 60 * 60_000;
    // Act
    const swept = await sweep();
    // Assess
    expect(swept).toMatchObject([{ action: 'waiting', detail: 'RUNNABLE' }]);
  });
});
