import { createHash } from 'node:crypto';
import type { Cifar10Dataset } from '../data/types.js';
import { planRechecks } from '../fairness/index.js';
import {
  type BaselineRecord,
  buildFailureResult,
  buildGradedResult,
  buildRejectedResult,
  calibratedBaseline,
  calibrationKey,
  type DatasetRecord,
  DEFAULT_RUBRIC,
  datasetRecord,
  type ExperimentRecord,
  experimentRecord,
  type ResultFile,
  type Rubric,
  recheckRecord,
  referenceBaseline,
  type SubmissionIdentity,
  trialOf,
} from '../rubric/index.js';
import { resolveTraining, validateSubmission } from '../spec/index.js';
import { selectBackend, trainExperiment } from '../train/index.js';
import type { BackendInfo, TrainOutcome } from '../train/types.js';
import { runRechecks } from './recheck.js';
import type { GradeDeps, GradeInput } from './types.js';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function identityOf(input: GradeInput): SubmissionIdentity {
  const bytes = typeof input.bytes === 'string' ? Buffer.from(input.bytes, 'utf8') : input.bytes;
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.byteLength,
    source: input.source ?? null,
  };
}

/** An outcome for a trainer that threw instead of answering: the experiment failed, grading goes on. */
function crashedOutcome(name: string, error: unknown): TrainOutcome {
  return {
    name,
    status: 'error',
    message: `training stopped with an error: ${reasonOf(error)}`,
    epochs: [],
    params: 0,
    seconds: 0,
    imagesPerSecond: 0,
  };
}

/** Backend, data and baseline: everything training needs besides the submission. */
interface Setup {
  backend: BackendInfo;
  data: Cifar10Dataset;
  dataset: DatasetRecord;
  baseline: BaselineRecord;
}

/**
 * Grades one submission: read → validate → train each experiment → re-check borderline
 * figures with more seeds → score → write.
 *
 * Always answers with a result file, never throws for anything a submission or the data can do:
 * an invalid submission gets a rejected result (score 0, every error); a setup failure (no data,
 * no backend) a failure result; an experiment that times out, diverges or crashes is recorded
 * and the others are still trained and scored. Checkpoints are written as each experiment
 * finishes, so a crash of the whole job loses nothing finished.
 */
export async function gradeSubmission(input: GradeInput, deps: GradeDeps): Promise<ResultFile> {
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const elapsed = () => (clock() - started) / 1000;
  const write = deps.writeResult ?? (async () => {});
  const identity = identityOf(input);

  const validation = validateSubmission(input.bytes, rubric);
  deps.onEvent?.({
    type: 'validated',
    valid: validation.valid,
    experiments: validation.experiments.length,
    errors: validation.errors.length,
  });
  if (!validation.valid) {
    const rejected = buildRejectedResult({
      errors: validation.errors,
      rubric,
      identity,
      executionTime: elapsed(),
    });
    await write(rejected);
    return rejected;
  }
  const { submission, experiments: analyses } = validation;

  let setup: Setup;
  try {
    setup = await prepare(deps, rubric);
  } catch (error) {
    const failed = buildFailureResult({
      reason: 'crash',
      message: reasonOf(error),
      rubric,
      identity,
      executionTime: elapsed(),
    });
    await write(failed);
    return failed;
  }
  const trial = trialOf(setup.dataset);
  deps.onEvent?.({
    type: 'ready',
    backend: setup.backend,
    trainImages: setup.data.train.count,
    testImages: setup.data.test.count,
    baseline: setup.baseline.source,
    trial,
  });

  const seed = deps.seed ?? rubric.training.seed;
  // Each experiment with its static figures; every one starts "not_run" until it is trained.
  const plan = submission.experiments.map((experiment, i) => {
    const analysis = analyses[i];
    if (!analysis) throw new Error(`the validator returned no analysis for experiment ${i}`);
    return { experiment, analysis, final: experiment.name === submission.final };
  });
  const records: ExperimentRecord[] = plan.map((p) =>
    experimentRecord(p.experiment, p.analysis, p.final),
  );
  const result = (complete: boolean) =>
    buildGradedResult({
      rubric,
      submission,
      analyses,
      experiments: records,
      baseline: setup.baseline,
      dataset: setup.dataset,
      backend: setup.backend,
      seed,
      identity,
      executionTime: elapsed(),
      complete,
    });

  // Checkpoints one at a time, in the order experiments finish; the last write is the final result.
  let writes = write(result(false));
  const checkpoint = (): Promise<void> => {
    writes = writes.then(() => write(result(false)));
    return writes;
  };
  await writes;
  const train = deps.train ?? trainExperiment;
  const timeLimitMs = deps.timeLimitMs ?? rubric.training.time_limit_seconds_per_experiment * 1000;
  const total = plan.length;
  let finished = 0;
  const trainOne = async (index: number): Promise<void> => {
    const { experiment, analysis, final } = plan[index] as (typeof plan)[number];
    deps.onEvent?.({ type: 'experiment-start', name: experiment.name, index, total });
    let outcome: TrainOutcome;
    try {
      outcome = await train({
        name: experiment.name,
        layers: experiment.layers,
        training: resolveTraining(experiment, rubric),
        data: setup.data,
        seed,
        timeLimitMs,
        clock,
        onProgress: deps.onProgress,
        signal: deps.signal,
      });
    } catch (error) {
      // Stopped from outside: the experiment stays "not_run" and the failure result says why.
      if (deps.signal?.aborted) return;
      outcome = crashedOutcome(experiment.name, error);
    }
    records[index] = experimentRecord(experiment, analysis, final, outcome);
    finished += 1;
    deps.onEvent?.({ type: 'experiment-end', name: experiment.name, index, total, outcome });
    if (finished < total) await checkpoint();
  };
  // Experiments are independent: with a parallel trainer, `concurrency` of them run at once.
  // Each is seeded alone and recorded at its own index, so the result does not depend on order.
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total && !deps.signal?.aborted) {
      const index = next;
      next += 1;
      await trainOne(index);
    }
  };
  const lanes = Math.max(1, Math.min(total, Math.floor(deps.concurrency ?? 1)));
  await Promise.all(Array.from({ length: lanes }, lane));
  await writes;

  // A borderline figure is trained again with the next seeds (docs/fairness.md): only the
  // experiments the planner names pay for it, and the runs share the lanes like experiments.
  // A trial's figures cannot match full-data claims, so re-checking them would only cost runs.
  const rechecks =
    deps.signal?.aborted || trial
      ? []
      : planRechecks({ rubric, experiments: records, baseline: setup.baseline, seed });
  if (rechecks.length > 0) {
    // Everything the first pass measured is safe before the extra runs start.
    await checkpoint();
    await runRechecks({
      plans: rechecks,
      concurrency: deps.concurrency ?? 1,
      onEvent: deps.onEvent,
      signal: deps.signal,
      trainAt: async (recheck, runSeed) => {
        const { experiment } = plan[recheck.index] as (typeof plan)[number];
        try {
          return await train({
            name: experiment.name,
            layers: experiment.layers,
            training: resolveTraining(experiment, rubric),
            data: setup.data,
            seed: runSeed,
            timeLimitMs,
            clock,
            onProgress: deps.onProgress,
            signal: deps.signal,
          });
        } catch (error) {
          // A run that fails is recorded as failed; the checks then judge on the first run.
          if (deps.signal?.aborted) return undefined;
          return crashedOutcome(experiment.name, error);
        }
      },
      onDone: async (recheck, runs) => {
        const first = records[recheck.index] as ExperimentRecord;
        records[recheck.index] = { ...first, recheck: recheckRecord(first, recheck, runs) };
        await checkpoint();
      },
    });
    await writes;
  }

  if (deps.signal?.aborted) {
    const stopped = buildFailureResult({
      reason: 'timeout',
      message: `grading was stopped: ${reasonOf(deps.signal.reason ?? 'aborted')}`,
      rubric,
      identity,
      executionTime: elapsed(),
      previous: result(false),
    });
    await write(stopped);
    return stopped;
  }
  const final = result(true);
  await write(final);
  return final;
}

/** Makes the backend active, then loads the data and records its identity; calibration shares it. */
export async function loadBackendAndData(
  deps: Pick<GradeDeps, 'selectBackend' | 'loadData' | 'slice'>,
): Promise<Omit<Setup, 'baseline'>> {
  const backend = await (deps.selectBackend ?? (() => selectBackend()))();
  const data = await deps.loadData();
  const dataset = datasetRecord(
    { checksum: data.checksum, trainImages: data.train.count, testImages: data.test.count },
    deps.slice,
  );
  return { backend, data, dataset };
}

async function prepare(deps: GradeDeps, rubric: Rubric): Promise<Setup> {
  const { backend, data, dataset } = await loadBackendAndData(deps);
  const key = calibrationKey(rubric, backend.name, dataset);
  const calibrated = await deps.lookupCalibration?.(key);
  const baseline =
    calibrated === undefined
      ? referenceBaseline(rubric)
      : calibratedBaseline(rubric, key, calibrated);
  return { backend, data, dataset, baseline };
}
