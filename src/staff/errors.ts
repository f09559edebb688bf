/** A results directory, bucket or stack that cannot be read; the message names which and why. */
export class StaffCommandError extends Error {
  override name = 'StaffCommandError';
}
