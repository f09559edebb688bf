/** An event that does not have the shape its source documents. */
export class EventShapeError extends Error {
  override name = 'EventShapeError';
}
