/** A rubric file or a stored calibration that cannot be used; the message says which and why. */
export class RubricError extends Error {
  override name = 'RubricError';
}
