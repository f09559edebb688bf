/** A grading run that cannot proceed for a reason outside the submission (data, cache, paths). */
export class GradeError extends Error {
  override name = 'GradeError';
}
