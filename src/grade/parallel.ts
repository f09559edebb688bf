import { type BackendInfo, TrainerPool, trainExperiment } from '../train/index.js';
import type { TrainFn, TrainRequest } from './types.js';

export interface ParallelTraining {
  /** Pass as GradeDeps.train; with `concurrency` as GradeDeps.concurrency. */
  train: TrainFn;
  concurrency: number;
  /** Stops the workers; call when grading is over. */
  close(): Promise<void>;
}

export interface ParallelTrainingOptions {
  /** Experiments trained at once, each on its own worker thread and TensorFlow.js instance. */
  workers: number;
  /** The backend the grade records; the workers use the same one. */
  selectBackend: () => Promise<BackendInfo>;
  /** Threads of each worker's wasm backend. */
  wasmThreads: number;
  /**
   * Train on a worker thread even with one worker, keeping this thread free: the local service
   * answers HTTP on it while a job trains.
   */
  offMainThread?: boolean;
}

/**
 * Trains `workers` experiments at once on a pool of worker threads, started on first use once
 * the backend is known. The tensorflow backend (one GPU, which each TensorFlow instance would
 * claim whole) and a single worker (unless offMainThread) train in this thread, one at a time.
 */
export function parallelTraining(options: ParallelTrainingOptions): ParallelTraining {
  const workers = Math.max(1, Math.floor(options.workers));
  let pool: Promise<TrainerPool | undefined> | undefined;
  const getPool = (): Promise<TrainerPool | undefined> => {
    pool ??= options
      .selectBackend()
      .then((backend) =>
        (workers > 1 || options.offMainThread === true) && backend.name !== 'tensorflow'
          ? new TrainerPool({ workers, backend: backend.name, wasmThreads: options.wasmThreads })
          : undefined,
      );
    return pool;
  };
  // In this thread, experiments wait for each other: interleaved they would share one engine.
  let inProcess: Promise<unknown> = Promise.resolve();
  const train = async (request: TrainRequest) => {
    const trainer = await getPool();
    if (trainer) return trainer.train(request);
    const run = inProcess.then(() => trainExperiment(request));
    inProcess = run.catch(() => {});
    return run;
  };
  return {
    train,
    concurrency: workers,
    close: async () => {
      const trainer = await pool?.catch(() => undefined);
      await trainer?.close();
    },
  };
}
