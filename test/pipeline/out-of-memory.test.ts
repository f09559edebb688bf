import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobEnvironment } from '../../src/launch/index.js';
import { type BatchJobDetail, handleJobFailed } from '../../src/pipeline/index.js';
import { DEFAULT_RUBRIC, type ResultFile } from '../../src/rubric/index.js';
import type { Layer, Submission } from '../../src/spec/index.js';
import {
  createFileSystemStateStore,
  newSubmissionId,
  resultKeyOf,
  type SubmissionStateStore,
} from '../../src/state/index.js';
import { FileSystemObjectStore } from '../../src/storage/index.js';

const examples = new URL('../../rubric/examples/', import.meta.url);

/** Just under the step-memory limit at the largest batch: bias-free 1×1 convs and ReLUs. */
function nearTheLimit(): Submission {
  const conv: Layer = { type: 'Conv2d', out_channels: 16, kernel_size: 1, bias: false };
  return {
    assignment: 'cifar10-conv',
    experiments: [
      {
        name: 'wide',
        layers: [
          conv,
          ...Array.from({ length: 12 }, (): Layer[] => [{ type: 'ReLU' }, conv]).flat(),
          { type: 'AdaptiveAvgPool2d', output_size: 1 },
          { type: 'Flatten' },
          { type: 'Linear', out_features: 10 },
        ],
        training: { batch_size: DEFAULT_RUBRIC.training.bounds.batch_size.max },
      },
    ],
    final: 'wide',
  };
}

const OOM: BatchJobDetail = {
  status: 'FAILED',
  statusReason: 'Essential container in task exited',
  container: { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
};

let root: string;
let store: FileSystemObjectStore;
let state: SubmissionStateStore;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'oom-'));
  store = new FileSystemObjectStore(path.join(root, 'objects'));
  state = createFileSystemStateStore(path.join(root, 'state'));
});

const JOB_ID = 'job-1';

/** A submission whose job is queued, as intake leaves it, and the environment Batch reports back. */
async function queuedJob(student: string, bytes: string | Uint8Array) {
  const id = newSubmissionId();
  const submission = { bucket: 'submissions', key: `submissions/${student}/${id}.json` };
  const result = { bucket: 'results', key: resultKeyOf(student, id) };
  await store.put(submission.key, bytes);
  await state.claim({
    student,
    id,
    object: { ...submission, upload: 'upload-1' },
    owner: 'intake',
    lease_ms: 60_000,
  });
  await state.transition(student, id, {
    from: ['claiming'],
    to: 'queued',
    owner: 'intake',
    set: { job_id: JOB_ID },
  });
  const environment = jobEnvironment({ submission, result, record: { student, id } });
  return {
    result,
    environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
  };
}
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

async function failWithOom(student: string, bytes: string): Promise<ResultFile> {
  const { result, environment } = await queuedJob(student, bytes);
  await handleJobFailed(
    { ...OOM, jobId: JOB_ID, container: { ...OOM.container, environment } },
    { storeFor: () => store, state },
  );
  const written = await store.get(result.key);
  if (!written) throw new Error('no result written');
  return JSON.parse(new TextDecoder().decode(written)) as ResultFile;
}

describe('a job that ran out of memory', () => {
  it.each([
    {
      description: 'a submission near the step-memory limit',
      data: () => JSON.stringify(nearTheLimit()),
      says: /host memory reserved for its container \(not the GPU's memory\).*experiment "wide" at batch_size 512, needs an estimated [\d.]+ GiB, most of it in \/experiments\/0\/layers\/\d+ \(\w+\); the rubric allows up to 2\.00 GiB, so the submission's own size is the likely cause/,
    },
    {
      description: "the course's small ConvNet",
      data: () => readFileSync(new URL('convnet.json', examples), 'utf8'),
      says: /needs an estimated [\d.]+ MiB, well within the rubric's 2\.00 GiB, so the submission is unlikely to be the cause; course staff can look into it and re-run it\./,
    },
  ])('says what ran out and whether $description is the likely cause', async ({ data, says }) => {
    // Act
    const result = await failWithOom('olga', data());
    // Assess
    expect(result.extra_data.failure?.reason).toBe('out_of_memory');
    expect(result.extra_data.failure?.message).toMatch(says);
    expect(result.output).toContain(
      'The grading job stopped: it ran out of memory. The grading job used more than the host memory',
    );
    expect(result.output).not.toContain('not your mistake');
  });

  it('keeps "not your mistake" for a job that stopped for another reason', async () => {
    // Prepare
    const { result, environment } = await queuedJob(
      'pia',
      readFileSync(new URL('convnet.json', examples)),
    );
    // Act
    await handleJobFailed(
      {
        status: 'FAILED',
        jobId: JOB_ID,
        statusReason: 'Essential container in task exited',
        container: { exitCode: 1, environment },
      },
      { storeFor: () => store, state },
    );
    // Assess
    const written = JSON.parse(new TextDecoder().decode(await store.get(result.key))) as ResultFile;
    expect(written.extra_data.failure?.reason).toBe('crash');
    expect(written.output).toContain('not your mistake');
  });
});
