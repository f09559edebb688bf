import type {
  BaselineNoise,
  BaselineRecheckPolicy,
  ReproductionNoise,
  ReproductionPolicy,
} from '../fairness/types.js';
import type { ExperimentAnalysis, OptimizerName, Submission } from '../spec/types.js';

export type TaskNumber = '3.1' | '3.2' | '3.3' | '4.1';

export interface NumericBound {
  min: number;
  max: number;
}

/** rubric/rubric.json: the assignment as data. Staff change grading by editing it. */
export interface Rubric {
  id: string;
  version: string;
  title: string;
  tasks: RubricTask[];
  baseline: {
    name: string;
    /** File in rubric/ holding the baseline as a submission. */
    spec: string;
    params: number;
    /** Test accuracy (percent) used when no calibration exists for the backend and data. */
    reference_accuracy: number;
  };
  budget: {
    /** A final network must have strictly fewer parameters than this. */
    max_params_exclusive: number;
  };
  training: {
    epochs: number;
    defaults: {
      optimizer: OptimizerName;
      lr: number;
      batch_size: number;
      momentum: number;
      weight_decay: number;
    };
    optimizers: OptimizerName[];
    bounds: {
      lr: NumericBound;
      batch_size: NumericBound;
      momentum: NumericBound;
      weight_decay: NumericBound;
    };
    pixel_range: [number, number];
    seed: number;
    /** Training one experiment longer than this ends it with "timeout". */
    time_limit_seconds_per_experiment: number;
    /**
     * A grading job's time outside training: start-up, loading the data, evaluation, writing
     * results. The job's time limit is max_experiments × the per-experiment limit plus this.
     */
    job_overhead_seconds: number;
  };
  limits: {
    max_file_bytes: number;
    max_experiments: number;
    /** Layers in one experiment, counting those inside Residual blocks. */
    max_layers: number;
    /** Residual nesting depth. */
    max_depth: number;
    max_channels: number;
    max_features: number;
    max_kernel_size: number;
    max_name_length: number;
    max_macs_per_image: number;
    /** Estimated memory of one training step at the experiment's batch size (src/spec/resources.ts). */
    max_step_memory_bytes: number;
    /** Multiply-accumulates of training the whole submission: per image × 3 × images × epochs. */
    max_training_macs: number;
  };
  /** The student service (page and API); absent means its defaults. */
  service?: {
    /** Graded submissions a student may make in any rolling 24 hours (default 10). */
    submissions_per_day: number;
  };
}

/** Per-task settings; the fields beyond number/name/points belong to that task's check. */
export interface RubricTask {
  number: TaskNumber;
  name: string;
  points: number;
  min_conv_layers?: number;
  partial_single_conv?: number;
  comparable_within_pp?: number;
  partial_within_pp?: number;
  partial_points?: number;
  min_experiments?: number;
  /** 4.1: how a reported accuracy is judged against the grader's runs (docs/fairness.md). */
  reproduction?: ReproductionPolicy;
  /** 3.3: when the final network is re-checked with more seeds, and how the mean is judged. */
  recheck?: BaselineRecheckPolicy;
  /** The measured seed noise the task's tolerances come from, and the rates they give. */
  noise?: ReproductionNoise | BaselineNoise;
}

// ---------------------------------------------------------------------------
// Checks and verdicts (added for scoring; everything above is unchanged).

/**
 * passed: full marks. partial: some credit. failed: no credit on the merits.
 * error: the check itself threw; no credit, and the message says why (a grader bug, not the student's).
 */
export type CheckStatus = 'passed' | 'partial' | 'failed' | 'error';

/** What a check returns: a score out of max_score and a message a student learns from. */
export interface CheckVerdict {
  score: number;
  max_score: number;
  status: CheckStatus;
  message: string;
}

/** One scored task: the verdict of its check, named after the rubric task. */
export interface TaskVerdict extends CheckVerdict {
  number: TaskNumber;
  name: string;
}

// ---------------------------------------------------------------------------
// The result file: Gradescope's results.json shape, our details under extra_data.

/** Gradescope's visibility values. */
export type ResultVisibility = 'hidden' | 'after_due_date' | 'after_published' | 'visible';

export interface ResultTest {
  name: string;
  /** The rubric task, e.g. "3.1". */
  number: TaskNumber;
  score: number;
  max_score: number;
  /** Gradescope knows only passed and failed: anything short of full marks is failed here. */
  status: 'passed' | 'failed';
  /** Plain text: it quotes student-chosen names, which Markdown would interpret. */
  output: string;
  output_format: 'text';
  visibility: ResultVisibility;
}

/** A Gradescope leaderboard column; order "desc" ranks higher values first. */
export interface LeaderboardEntry {
  name: string;
  value: number;
  order: 'asc' | 'desc';
}

/**
 * graded: every stage ran (experiments may still have timed out or failed: see each one).
 * rejected: the submission is invalid; nothing was trained.
 * failed: the grader itself stopped (crash, time limit, out of memory, lost instance).
 */
export type ResultOutcome = 'graded' | 'rejected' | 'failed';

/** Why a grading job stopped without finishing. */
export type FailureReason =
  | 'timeout'
  | 'out_of_memory'
  | 'host_lost'
  | 'crash'
  | 'no_gpu'
  | 'superseded';

/** not_run: grading stopped before this experiment was trained. */
export type ExperimentRecordStatus = 'ok' | 'diverged' | 'timeout' | 'error' | 'not_run';

export interface EpochRecord {
  epoch: number;
  /** Mean training loss; null when it was not finite (NaN or Infinity have no JSON form). */
  loss: number | null;
  /** Training accuracy, percent. */
  accuracy: number | null;
  /** Timing: excluded from the determinism promise. */
  seconds: number;
  images: number;
}

export interface ExperimentRecord {
  name: string;
  final: boolean;
  /** PyTorch's parameter count, from the submission. */
  params: number;
  /** Multiply-accumulates per image. */
  macs: number;
  reported: { params: number | null; test_accuracy: number | null };
  status: ExperimentRecordStatus;
  /** Why it did not end "ok". */
  message: string | null;
  /** Percent on the evaluated test images; null unless evaluation ran. */
  test_accuracy: number | null;
  test_loss: number | null;
  epochs: EpochRecord[];
  /** Timing: excluded from the determinism promise. */
  seconds: number;
  images_per_second: number;
  /**
   * More seeds the grader trained because a figure was borderline (tasks 3.3 and 4.1);
   * null when it needed none. Absent in files written before re-checks existed.
   */
  recheck?: RecheckRecord | null;
}

/** One re-check run: the experiment trained again with another seed. */
export interface RecheckRun {
  seed: number;
  status: ExperimentRecordStatus;
  /** Percent; null unless it was evaluated. */
  test_accuracy: number | null;
  message: string | null;
  /** Timing: excluded from the determinism promise. */
  seconds: number;
}

/** Why and how an experiment was re-checked. */
export interface RecheckRecord {
  /** In words, e.g. "4.1: reported 45.00%, the first run gave 41.20% (3.80 pp apart; ...)". */
  reason: string;
  /** The tasks that asked for it. */
  tasks: TaskNumber[];
  runs: RecheckRun[];
  /** Test accuracy over the first run and every re-check run; null when one did not finish. */
  mean: number | null;
  /** Sample standard deviation over the same runs; null with mean. */
  sd: number | null;
}

export interface DatasetRecord {
  /** Identifies the images graded on; a slice has its own checksum. */
  checksum: string;
  /** The full data's checksum when this was a slice. */
  source_checksum: string;
  train_images: number;
  test_images: number;
  /** Present when --limit-train/--limit-test took a slice: figures are not comparable with full runs. */
  slice: { limit_train: number | null; limit_test: number | null } | null;
}

/** The MLP figure task 3.3 compares with. */
export interface BaselineRecord {
  name: string;
  params: number;
  accuracy: number;
  /** calibration: trained on this backend and data; reference: the rubric's figure. */
  source: 'calibration' | 'reference';
  /** The calibration's key when source is calibration. */
  calibration_key: string | null;
}

export interface ResultExtraData {
  /** Version of this file's layout (rubric/result.schema.json). */
  format_version: 1;
  outcome: ResultOutcome;
  /** False when the submission is invalid: there was nothing to train. */
  gradable: boolean;
  /** False while grading is still running: the file is a checkpoint of what is finished. */
  complete: boolean;
  rubric: { id: string; version: string };
  submission: { sha256: string | null; bytes: number | null; source: string | null };
  /** Every validation error, for a rejected submission. */
  errors: Array<{ path: string; message: string }>;
  failure: { reason: FailureReason; message: string } | null;
  final: string | null;
  seed: number | null;
  epochs: number | null;
  /** The engine that trained: device is the GPU's model name or "cpu", as the engine reported it. */
  backend: {
    name: string;
    version: string;
    detail: string;
    device: string;
    threads: number;
  } | null;
  dataset: DatasetRecord | null;
  /**
   * Set when the data was smaller than CIFAR-10's full splits: a trial of the grader, not a grade
   * (no claim is re-checked, and gradebook exports leave it out). Absent in older files.
   */
  trial?: TrialRecord | null;
  baseline: BaselineRecord | null;
  experiments: ExperimentRecord[];
}

export interface TrialRecord {
  /** Why, in words, for the result's readers. */
  reason: string;
}

export interface ResultFile {
  score: number;
  /** Seconds. Timing: excluded from the determinism promise. */
  execution_time: number;
  output: string;
  output_format: 'md';
  visibility: ResultVisibility;
  tests: ResultTest[];
  leaderboard: LeaderboardEntry[];
  extra_data: ResultExtraData;
}

/** What every check sees: the validated submission, its static figures and what grading measured. */
export interface CheckInput {
  submission: Submission;
  /** Static analysis per experiment, in the submission's order. */
  analyses: ExperimentAnalysis[];
  /** Static and measured figures per experiment, in the submission's order. */
  experiments: ExperimentRecord[];
  baseline: BaselineRecord;
  /** The data graded on; null when unknown. */
  dataset: DatasetRecord | null;
  /** The first run's seed; re-check runs used the next ones. Absent: one before the first re-check seed. */
  seed?: number;
}

/** A rubric check: pure, and given its own task's settings from the rubric file. */
export type RubricCheck = (input: CheckInput, task: RubricTask) => CheckVerdict;
