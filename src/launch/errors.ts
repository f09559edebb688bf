/** A job could not be started; the submission is not lost, and the caller may retry. */
export class LaunchError extends Error {
  override name = 'LaunchError';
}

/** A job's environment lacks a variable the grader needs, or holds a bad value. */
export class JobEnvironmentError extends Error {
  override name = 'JobEnvironmentError';
}
