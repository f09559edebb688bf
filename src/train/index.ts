export {
  BackendUnavailableError,
  isGpuDevice,
  type SelectBackendDeps,
  selectBackend,
  usesGpuDevice,
} from './backend.js';
export { ModelBuildError, TrainingConfigError } from './errors.js';
export { type EvaluateOptions, type Evaluation, evaluate } from './evaluate.js';
export { convFanIn, torchDefaultBound } from './init.js';
export { type TrainExperimentInput, trainExperiment } from './loop.js';
export {
  CIFAR10_INPUT_SHAPE,
  type CreateModelOptions,
  countTrainableParams,
  createModel,
} from './model.js';
export {
  createOptimizer,
  type Optimizer,
  type OptimizerSettings,
} from './optimizers.js';
export {
  createProgressReporter,
  etaSeconds,
  formatDuration,
  type ProgressReporter,
  type ProgressReporterOptions,
} from './progress.js';
export { createRng, type Rng, shuffleInPlace } from './rng.js';
export {
  type SharedDataset,
  TrainerPool,
  type TrainerPoolOptions,
} from './trainer-pool.js';
export * from './types.js';
