/**
 * The grading job: what the grader container (and the local pipeline's in-process launcher)
 * runs for one accepted submission. Not exported from ./index.ts: it loads TensorFlow.js,
 * which the Lambdas must not bundle.
 */
import { type GradeJobConfig, readGradeJobConfig } from '../config.js';
import { loadCifar10FromDir, loadCifar10FromStore } from '../data/index.js';
import type { Cifar10Dataset } from '../data/types.js';
import { type GradeDeps, gradeSubmission } from '../grade/index.js';
import { type GradeJobRequest, parseJobEnvironment } from '../launch/index.js';
import {
  buildFailureResult,
  DEFAULT_RUBRIC,
  type ResultFile,
  type Rubric,
} from '../rubric/index.js';
import type { ObjectStore } from '../storage/index.js';
import { selectBackend } from '../train/index.js';
import type { BackendInfo } from '../train/types.js';
import { identityOf } from './identity.js';
import { submissionSource } from './keys.js';
import { putResultFile } from './result-file.js';
import type { Logger } from './types.js';
import { jsonLog, s3ClientFor, storesOn } from './wiring.js';

export interface GradeJobDeps {
  storeFor: (bucket: string) => ObjectStore;
  loadData: () => Promise<Cifar10Dataset>;
  slice?: GradeDeps['slice'];
  selectBackend?: () => Promise<BackendInfo>;
  rubric?: Rubric;
  log?: Logger;
  /** Training progress within each experiment (the local student service shows the epoch). */
  onProgress?: GradeDeps['onProgress'];
}

/**
 * Grades one submission and writes its result, checkpoints included. Answers with the exit
 * code: 0 when the result is a grade or a rejection, 1 when grading failed (the result says
 * why). A crash still writes a failure result, keeping whatever the last checkpoint scored;
 * only when even that write fails does the error escape, and then on-job-failed writes it.
 */
export async function runGradeJob(request: GradeJobRequest, deps: GradeJobDeps): Promise<number> {
  const log = deps.log ?? (() => {});
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const results = deps.storeFor(request.result.bucket);
  const writeResult = (result: ResultFile) => putResultFile(results, request.result.key, result);
  let bytes: Uint8Array | undefined;
  let lastWritten: ResultFile | undefined;
  try {
    bytes = await deps.storeFor(request.submission.bucket).get(request.submission.key, {
      ...(request.submission.versionId ? { versionId: request.submission.versionId } : {}),
      maxBytes: rubric.limits.max_file_bytes,
    });
    if (bytes === undefined) {
      throw new Error(`the submission ${submissionSource(request.submission)} no longer exists`);
    }
    const result = await gradeSubmission(
      { bytes, source: submissionSource(request.submission) },
      {
        loadData: deps.loadData,
        ...(deps.slice ? { slice: deps.slice } : {}),
        ...(deps.selectBackend ? { selectBackend: deps.selectBackend } : {}),
        rubric,
        writeResult: async (written) => {
          await writeResult(written);
          lastWritten = written;
        },
        onEvent: (event) => log({ ...event }),
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
      },
    );
    log({ event: 'graded', resultKey: request.result.key, score: result.score });
    return result.extra_data.outcome === 'failed' ? 1 : 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log({ event: 'crashed', resultKey: request.result.key, error: message });
    await writeResult(
      buildFailureResult({
        reason: 'crash',
        message: `The grader crashed: ${message}`,
        identity: identityOf(request.submission, bytes),
        rubric,
        ...(lastWritten && !lastWritten.extra_data.complete ? { previous: lastWritten } : {}),
      }),
    );
    return 1;
  }
}

/** The grader container's main: everything from the environment, as AWS Batch sets it. */
export async function runGraderContainer(
  env: NodeJS.ProcessEnv,
  log: Logger = jsonLog,
): Promise<number> {
  let request: GradeJobRequest;
  let config: GradeJobConfig;
  try {
    request = parseJobEnvironment(env);
    config = readGradeJobConfig(env);
  } catch (error) {
    // A misconfigured job: its log says why, and on-job-failed writes the result.
    log({
      event: 'bad-environment',
      error: error instanceof Error ? error.message : String(error),
    });
    return 2;
  }
  const storeFor = storesOn(s3ClientFor(config));
  const slice = {
    ...(config.limitTrain !== undefined ? { limitTrain: config.limitTrain } : {}),
    ...(config.limitTest !== undefined ? { limitTest: config.limitTest } : {}),
  };
  const { cifar10S3 } = config;
  return runGradeJob(request, {
    storeFor,
    slice,
    loadData: () =>
      cifar10S3
        ? loadCifar10FromStore(storeFor(cifar10S3.bucket), cifar10S3.prefix, slice)
        : loadCifar10FromDir(config.cifar10Dir, slice),
    selectBackend: () => selectBackend(config.backend),
    log,
  });
}
