/** A seed-noise measurement file that does not have the expected shape; `path` says where. */
export class NoiseMeasurementsError extends Error {
  override readonly name = 'NoiseMeasurementsError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/**
 * No policy on the grid meets the targets: the noise is too large for them. The best policy
 * found is attached so the docs can show how far off it is.
 */
export class NoFairPolicyError extends Error {
  override readonly name = 'NoFairPolicyError';
  constructor(
    message: string,
    readonly best: { policy: object; rate: number } | null,
  ) {
    super(message);
  }
}
