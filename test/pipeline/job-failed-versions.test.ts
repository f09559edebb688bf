import { describe, expect, it } from 'vitest';
import { handleJobFailed } from '../../src/pipeline/index.js';
import { buildFailureResult, type ResultFile } from '../../src/rubric/index.js';
import type { ObjectStore } from '../../src/storage/index.js';

/** A versioned bucket in memory: S3's semantics for get with and without a version id. */
class VersionedMemoryStore implements ObjectStore {
  private readonly versions = new Map<string, { id: string; bytes: Uint8Array }[]>();

  async get(key: string, options: { versionId?: string } = {}) {
    const history = this.versions.get(key) ?? [];
    const found = options.versionId
      ? history.find((v) => v.id === options.versionId)
      : history.at(-1);
    return found?.bytes;
  }

  async put(key: string, body: Uint8Array | string) {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const history = this.versions.get(key) ?? [];
    history.push({ id: `v${history.length + 1}`, bytes });
    this.versions.set(key, history);
    return true;
  }

  async list(prefix: string) {
    return [...this.versions.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async delete(key: string) {
    this.versions.delete(key);
  }
}

const KEY = 'submissions/mo/net.json';
const RESULT_KEY = 'results/mo/net.json';

function failedJob(versionId: string) {
  const environment = {
    AUTOGRADER_JOB_SUBMISSION_BUCKET: 'subs',
    AUTOGRADER_JOB_SUBMISSION_KEY: KEY,
    AUTOGRADER_JOB_SUBMISSION_VERSION: versionId,
    AUTOGRADER_JOB_RESULT_BUCKET: 'results',
    AUTOGRADER_JOB_RESULT_KEY: RESULT_KEY,
  };
  return {
    status: 'FAILED',
    statusReason: 'Job attempt duration exceeded timeout',
    container: {
      environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
    },
  };
}

function finalResultOf(versionId: string): ResultFile {
  return buildFailureResult({
    reason: 'crash',
    message: `final result of ${versionId}`,
    identity: { sha256: null, bytes: null, source: `s3://subs/${KEY}?versionId=${versionId}` },
  });
}

/** Two uploads of one key (v1, then v2) and the result the given version's job wrote. */
async function buckets(resultOf: string) {
  const submissions = new VersionedMemoryStore();
  await submissions.put(KEY, '{"first": true}');
  await submissions.put(KEY, '{"second": true}');
  const results = new VersionedMemoryStore();
  await results.put(RESULT_KEY, JSON.stringify(finalResultOf(resultOf)));
  const storeFor = (bucket: string) => (bucket === 'subs' ? submissions : results);
  return { results, storeFor };
}

describe('on-job-failed with a versioned submissions bucket', () => {
  it('leaves the result of a newer upload alone when the older upload’s job fails', async () => {
    // Prepare
    const { results, storeFor } = await buckets('v2');
    // Act
    const outcome = await handleJobFailed(failedJob('v1'), { storeFor });
    // Assess
    expect(outcome).toMatchObject({ status: 'kept', why: expect.stringMatching(/newer upload/) });
    const stored = JSON.parse(new TextDecoder().decode(await results.get(RESULT_KEY)));
    expect(stored.extra_data.failure.message).toBe('final result of v2');
  });

  it('replaces the result of an older upload when the newest upload’s job fails', async () => {
    // Prepare
    const { results, storeFor } = await buckets('v1');
    // Act
    const outcome = await handleJobFailed(failedJob('v2'), { storeFor });
    // Assess
    expect(outcome).toMatchObject({ status: 'written', reason: 'timeout' });
    const stored = JSON.parse(new TextDecoder().decode(await results.get(RESULT_KEY)));
    expect(stored.extra_data.failure.reason).toBe('timeout');
    expect(stored.extra_data.submission.source).toBe(`s3://subs/${KEY}?versionId=v2`);
  });
});
