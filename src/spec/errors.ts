import type { SpecError } from './types.js';

/**
 * Thrown by parseSubmission for callers that want an exception rather than a result
 * (the grader, once the Lambda has already validated). validateSubmission never throws.
 */
export class InvalidSubmissionError extends Error {
  override name = 'InvalidSubmissionError';
  readonly errors: SpecError[];

  constructor(errors: SpecError[]) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(
      first
        ? `invalid submission: ${first.path || '/'}: ${first.message}${more}`
        : 'invalid submission',
    );
    this.errors = errors;
  }
}
