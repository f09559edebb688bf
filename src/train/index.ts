export { BackendUnavailableError, type SelectBackendDeps, selectBackend } from './backend.js';
export { ModelBuildError, TrainingConfigError } from './errors.js';
export { convFanIn, torchDefaultBound } from './init.js';
export {
  CIFAR10_INPUT_SHAPE,
  type CreateModelOptions,
  countTrainableParams,
  createModel,
} from './model.js';
export { createRng, type Rng, shuffleInPlace } from './rng.js';
export * from './types.js';
