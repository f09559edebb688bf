import type { ExperimentAnalysis, SpecError, Submission } from '../spec/types.js';
import type { BackendInfo } from '../train/types.js';
import { DEFAULT_RUBRIC } from './default-rubric.js';
import { roundScore } from './format.js';
import { scoreRubric, totalScore } from './score.js';
import { FAILURE_REASON_TEXT, renderResultMarkdown } from './summary-markdown.js';
import { trialOf } from './trial.js';
import type {
  BaselineRecord,
  DatasetRecord,
  ExperimentRecord,
  FailureReason,
  LeaderboardEntry,
  ResultExtraData,
  ResultFile,
  ResultTest,
  Rubric,
  RubricCheck,
  TaskNumber,
  TaskVerdict,
} from './types.js';

/** Which submission a result is about. */
export interface SubmissionIdentity {
  /** sha256 of the submitted bytes, hex. */
  sha256: string | null;
  bytes: number | null;
  /** Where it came from (file name or object key), for staff. */
  source: string | null;
}

const UNKNOWN_SUBMISSION: SubmissionIdentity = { sha256: null, bytes: null, source: null };

function toTest(v: TaskVerdict): ResultTest {
  return {
    name: v.name,
    number: v.number,
    score: v.score,
    max_score: v.max_score,
    status: v.status === 'passed' ? 'passed' : 'failed',
    output: v.message,
    output_format: 'text',
    visibility: 'visible',
  };
}

function assemble(parts: Omit<ResultFile, 'output' | 'output_format' | 'visibility'>): ResultFile {
  const withoutOutput = { ...parts, output_format: 'md' as const, visibility: 'visible' as const };
  // Key order is fixed here so identical results serialize to identical bytes.
  return {
    score: parts.score,
    execution_time: parts.execution_time,
    output: renderResultMarkdown(withoutOutput),
    output_format: 'md',
    visibility: 'visible',
    tests: parts.tests,
    leaderboard: parts.leaderboard,
    extra_data: parts.extra_data,
  };
}

/** Gradescope ranks by these columns: accuracy descending, then parameters ascending. */
function leaderboardOf(experiments: readonly ExperimentRecord[]): LeaderboardEntry[] {
  const final = experiments.find((e) => e.final);
  if (!final || final.test_accuracy === null) return [];
  return [
    { name: 'Accuracy (%)', value: final.test_accuracy, order: 'desc' },
    { name: 'Parameters', value: final.params, order: 'asc' },
  ];
}

function emptyExtraData(rubric: Rubric, submission: SubmissionIdentity): ResultExtraData {
  return {
    format_version: 1,
    outcome: 'graded',
    gradable: true,
    complete: true,
    rubric: { id: rubric.id, version: rubric.version },
    submission: { ...submission },
    errors: [],
    failure: null,
    final: null,
    seed: null,
    epochs: null,
    backend: null,
    dataset: null,
    baseline: null,
    experiments: [],
  };
}

export interface GradedResultInput {
  rubric: Rubric;
  submission: Submission;
  /** The validator's analysis, in the submission's order. */
  analyses: ExperimentAnalysis[];
  /** One record per experiment, in the submission's order ("not_run" for those not trained yet). */
  experiments: ExperimentRecord[];
  baseline: BaselineRecord;
  dataset: DatasetRecord;
  backend: BackendInfo;
  seed: number;
  identity: SubmissionIdentity;
  /** Seconds since grading started. */
  executionTime: number;
  /** False for a checkpoint written while experiments are still to be trained. */
  complete: boolean;
  /** Replaces the shipped checks (tests use it to exercise a throwing check). */
  checks?: Readonly<Partial<Record<TaskNumber, RubricCheck>>>;
}

/** The result of a graded submission, or a checkpoint of one while grading runs. */
export function buildGradedResult(input: GradedResultInput): ResultFile {
  const verdicts = scoreRubric(
    {
      submission: input.submission,
      analyses: input.analyses,
      experiments: input.experiments,
      baseline: input.baseline,
      dataset: input.dataset,
      seed: input.seed,
    },
    input.rubric,
    input.checks,
  );
  return assemble({
    score: totalScore(verdicts),
    execution_time: roundScore(input.executionTime),
    tests: verdicts.map(toTest),
    leaderboard: leaderboardOf(input.experiments),
    extra_data: {
      ...emptyExtraData(input.rubric, input.identity),
      complete: input.complete,
      final: input.submission.final,
      seed: input.seed,
      epochs: input.rubric.training.epochs,
      backend: {
        name: input.backend.name,
        version: input.backend.version,
        detail: input.backend.detail,
        device: input.backend.device,
        threads: input.backend.threads,
      },
      dataset: input.dataset,
      trial: trialOf(input.dataset),
      baseline: input.baseline,
      experiments: input.experiments,
    },
  });
}

export interface RejectedResultInput {
  /** Every validation error, each with its JSON pointer. */
  errors: readonly SpecError[];
  rubric?: Rubric;
  identity?: SubmissionIdentity;
  executionTime?: number;
}

/** A result that graded nothing: every task at 0 points with the same explanation. */
function ungradedResult(
  rubric: Rubric,
  identity: SubmissionIdentity,
  executionTime: number | undefined,
  output: string,
  extra: Partial<ResultExtraData>,
): ResultFile {
  return assemble({
    score: 0,
    execution_time: roundScore(executionTime ?? 0),
    tests: rubric.tasks.map((task) => ({
      name: task.name,
      number: task.number,
      score: 0,
      max_score: task.points,
      status: 'failed',
      output,
      output_format: 'text',
      visibility: 'visible',
    })),
    leaderboard: [],
    extra_data: { ...emptyExtraData(rubric, identity), ...extra },
  });
}

/** An invalid submission's result: score 0, gradable false, and every error with its path. */
export function buildRejectedResult(input: RejectedResultInput): ResultFile {
  const rubric = input.rubric ?? DEFAULT_RUBRIC;
  const count = input.errors.length;
  const output = `Not graded: the submission is invalid (${count} problem${count === 1 ? '' : 's'}; the summary lists each with its location).`;
  return ungradedResult(rubric, input.identity ?? UNKNOWN_SUBMISSION, input.executionTime, output, {
    outcome: 'rejected',
    gradable: false,
    errors: input.errors.map((e) => ({ path: e.path, message: e.message })),
  });
}

export interface FailureResultInput {
  reason: FailureReason;
  /** Details for staff and student, e.g. the Batch status reason. */
  message: string;
  rubric?: Rubric;
  identity?: SubmissionIdentity;
  executionTime?: number;
  /**
   * The last checkpoint the job wrote, if any: what finished before the failure keeps its
   * scores; unfinished experiments are already "not_run" in it.
   */
  previous?: ResultFile;
}

/**
 * The result for a grading job that stopped without finishing: the grader crashed, timed out,
 * ran out of memory or lost its instance. Never imports TensorFlow.js: the failure Lambda uses it.
 */
export function buildFailureResult(input: FailureResultInput): ResultFile {
  const rubric = input.rubric ?? DEFAULT_RUBRIC;
  const failure = { reason: input.reason, message: input.message };
  const previous = input.previous;
  if (previous && previous.extra_data.outcome === 'graded') {
    return assemble({
      score: previous.score,
      execution_time: roundScore(input.executionTime ?? previous.execution_time),
      tests: previous.tests,
      leaderboard: previous.leaderboard,
      extra_data: { ...previous.extra_data, outcome: 'failed', complete: true, failure },
    });
  }
  const output =
    input.reason === 'out_of_memory'
      ? `Not graded: the grading job stopped (${FAILURE_REASON_TEXT[input.reason]}); the summary says what ran out and whether the submission's size is the likely cause.`
      : `Not graded: the grading job stopped (${FAILURE_REASON_TEXT[input.reason]}). Your submission was valid; course staff can re-run it.`;
  return ungradedResult(
    rubric,
    input.identity ?? previous?.extra_data.submission ?? UNKNOWN_SUBMISSION,
    input.executionTime,
    output,
    { outcome: 'failed', failure },
  );
}

/**
 * True when a stored result is final. A failure handler may replace only a checkpoint (a result
 * the job wrote while still grading), never a final result. Takes parsed JSON of any shape.
 */
export function isFinalResult(result: unknown): boolean {
  if (typeof result !== 'object' || result === null || !('extra_data' in result)) return false;
  const extra = result.extra_data;
  return (
    typeof extra === 'object' && extra !== null && 'complete' in extra && extra.complete === true
  );
}
