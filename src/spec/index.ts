/** The submission format: types, validation, shape inference, parameter and MAC counts. No TensorFlow.js. */

export type { AnalyzeOptions, LayersAnalysis } from './analyze.js';
export { analyzeLayers, formatShape, INPUT_SHAPE, layerLocation } from './analyze.js';
export { InvalidSubmissionError } from './errors.js';
export { formatSummary, formatValidation, MACS_DEFINITION } from './format.js';
export { LAYER_TYPES } from './schema.js';
export { resolveTraining, trainingErrors } from './training.js';
export type * from './types.js';
export {
  checkExperiment,
  MAX_REPORTED_ERRORS,
  maxJsonDepth,
  parseSubmission,
  type SummaryTable,
  summarizeSubmission,
  validateSubmission,
} from './validate.js';
