/** A mistake in how the command was called, or a file that cannot be read: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
