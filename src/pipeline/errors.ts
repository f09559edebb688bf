/** An event that does not have the shape its source documents. */
export class EventShapeError extends Error {
  override name = 'EventShapeError';
}

/** A regrade that cannot be started as asked (a malformed id, an id another record holds). */
export class RegradeError extends Error {
  override name = 'RegradeError';
}
