/**
 * A layer list that cannot become a tfjs model (shapes that do not fit, an unknown layer type).
 * `path` is a JSON pointer to the offending layer relative to the experiment, e.g. /layers/3.
 */
export class ModelBuildError extends Error {
  override name = 'ModelBuildError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Training settings the engine cannot run with (an unknown optimizer, a non-positive batch). */
export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError';
}
