import type { Cifar10Dataset } from '../data/types.js';
import type {
  CalibrationKey,
  ResultFile,
  Rubric,
  TaskNumber,
  TrialRecord,
} from '../rubric/index.js';
import type { Layer } from '../spec/types.js';
import type { BackendInfo, ResolvedTraining, TrainOutcome, TrainProgress } from '../train/types.js';

/** One submission to grade. */
export interface GradeInput {
  /** The submission file's bytes (or text), as uploaded. */
  bytes: Uint8Array | string;
  /** Its file name or object key, recorded in the result for staff. */
  source?: string;
}

/** What the trainer is asked to do; matches the training engine's trainExperiment. */
export interface TrainRequest {
  name: string;
  layers: Layer[];
  training: ResolvedTraining;
  data: Cifar10Dataset;
  seed: number;
  timeLimitMs?: number;
  clock?: () => number;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

export type TrainFn = (request: TrainRequest) => Promise<TrainOutcome>;

/** --limit-train / --limit-test: grade on the first N images of each split. */
export interface DataSlice {
  limitTrain?: number;
  limitTest?: number;
}

/** Stage events, for a terminal or a log; progress within an experiment goes to onProgress. */
export type GradeEvent =
  | { type: 'validated'; valid: boolean; experiments: number; errors: number }
  | {
      type: 'ready';
      backend: BackendInfo;
      trainImages: number;
      testImages: number;
      baseline: 'calibration' | 'reference';
      /** Set when the data is smaller than CIFAR-10's: the run is a trial and re-checks nothing. */
      trial: TrialRecord | null;
    }
  | { type: 'experiment-start'; name: string; index: number; total: number }
  | { type: 'experiment-end'; name: string; index: number; total: number; outcome: TrainOutcome }
  | {
      /** A borderline figure: the experiment is trained again with `seeds`. */
      type: 'recheck';
      name: string;
      index: number;
      seeds: number[];
      tasks: TaskNumber[];
      reason: string;
      /** The student's reported accuracy, if any, and the first run's. */
      reported: number | null;
      reproduced: number;
    }
  | { type: 'recheck-end'; name: string; index: number; seed: number; outcome: TrainOutcome };

export interface GradeDeps {
  /** Loads CIFAR-10, already sliced when `slice` is set. Called only for a valid submission. */
  loadData: () => Promise<Cifar10Dataset>;
  /** The slice loadData applies, so the result can say so. */
  slice?: DataSlice;
  /** Makes a backend active and says which; default: the best that loads. */
  selectBackend?: () => Promise<BackendInfo>;
  /** Trains one experiment; default: the training engine. Unit tests inject a fake. */
  train?: TrainFn;
  /** The calibrated baseline accuracy for a key, if `autograder calibrate` stored one. */
  lookupCalibration?: (key: CalibrationKey) => Promise<number | undefined>;
  /**
   * Stores the result. Called with checkpoints (extra_data.complete false) as experiments
   * finish, then with the final result, so a crash never loses what finished. A write that
   * fails stops grading: its error reaches the caller, which knows where else to report.
   */
  writeResult?: (result: ResultFile) => Promise<void>;
  rubric?: Rubric;
  /** Default: the rubric's seed. */
  seed?: number;
  /**
   * Experiments trained at once; default 1. More only helps with a `train` that runs them in
   * parallel (a TrainerPool's); the result is the same either way, timings aside.
   */
  concurrency?: number;
  /** Per-experiment time limit; default: the rubric's. */
  timeLimitMs?: number;
  /** Milliseconds. */
  clock?: () => number;
  onProgress?: (progress: TrainProgress) => void;
  onEvent?: (event: GradeEvent) => void;
  /** Stops grading between experiments (and inside one); what finished is kept. */
  signal?: AbortSignal;
}
