/** The bundle cannot be built here (no esbuild, no sources); the message says what is missing. */
export class GradescopeBundleError extends Error {
  override name = 'GradescopeBundleError';
}
