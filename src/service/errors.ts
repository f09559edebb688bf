export class ServiceError extends Error {
  override name = 'ServiceError';
}

/** The page's sources could not be bundled (esbuild missing, or a source error). */
export class PageBuildError extends ServiceError {
  override name = 'PageBuildError';
}
