/**
 * Rubric scoring and the result file. Pure TypeScript with no TensorFlow.js import, directly or
 * transitively: the Lambdas bundle buildRejectedResult and buildFailureResult from here.
 */
export {
  type CalibrationKey,
  calibratedBaseline,
  calibrationKey,
  datasetRecord,
  formatCalibrationKey,
  referenceBaseline,
} from './baseline.js';
export {
  checkBeatsBaseline,
  checkConvNetTrains,
  checkExperimentsReproduce,
  checkReportedParams,
  countLayers,
  RUBRIC_CHECKS,
} from './checks.js';
export { DEFAULT_BASELINE_SUBMISSION, DEFAULT_RUBRIC } from './default-rubric.js';
export { RubricError } from './errors.js';
export {
  escapeMarkdown,
  formatCount,
  formatMacs,
  formatPercent,
  formatScore,
  markdownCode,
} from './format.js';
export { experimentRecord, recheckRecord } from './records.js';
export {
  buildFailureResult,
  buildGradedResult,
  buildRejectedResult,
  type FailureResultInput,
  type GradedResultInput,
  isFinalResult,
  type RejectedResultInput,
  type SubmissionIdentity,
} from './result.js';
export { isResultFile, resultSchemaErrors } from './result-schema.js';
export { maxScore, scoreRubric, totalScore } from './score.js';
export { FAILURE_REASON_TEXT, renderResultMarkdown } from './summary-markdown.js';
export { renderResultText } from './summary-text.js';
export { jobTimeLimitSeconds, maxTrainingRuns } from './time-budget.js';
export {
  FULL_TEST_IMAGES,
  FULL_TRAIN_IMAGES,
  isTrialResult,
  trialOf,
  trialOfResult,
} from './trial.js';
export * from './types.js';
export {
  type SubmissionWarning,
  submissionWarnings,
  WARNING_RULES,
  type WarningInput,
  type WarningRule,
} from './warnings.js';
