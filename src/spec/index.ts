/** The submission format: types, validation, shape inference, parameter and MAC counts. No TensorFlow.js. */

export type { AnalyzeOptions, LayersAnalysis } from './analyze.js';
export { analyzeLayers } from './analyze.js';
export { formatSummary, formatValidation, MACS_DEFINITION } from './format.js';
export { formatBytes, formatMacs, resourceErrors } from './resource-limits.js';
export {
  budgetBatchSize,
  CIFAR10_TRAIN_IMAGES,
  type ExperimentResources,
  estimateExperiment,
  estimateResources,
  type LayerMemory,
  type SubmissionResources,
  TRAINING_MACS_PER_FORWARD_MAC,
} from './resources.js';
export { closest, LAYER_TYPES } from './schema.js';
export { resolveTraining, trainingErrors } from './training.js';
export type * from './types.js';
export {
  maxJsonDepth,
  type SummaryTable,
  summarizeSubmission,
  validateSubmission,
} from './validate.js';
