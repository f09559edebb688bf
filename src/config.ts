import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from './train/types.js';

/**
 * The repository (or installed package) root, whatever the working directory.
 * Sources live in src/, compiled code in dist/src/.
 */
export function packageRoot(): string {
  const parent = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  return path.basename(parent) === 'dist' ? path.dirname(parent) : parent;
}

/** Environment settings, read here and nowhere else. */
export interface AutograderConfig {
  /** AUTOGRADER_CIFAR10_DIR; default ../shared/cifar-10-batches-bin beside the package root. */
  cifar10Dir: string;
  /** AUTOGRADER_BACKEND forces a backend; unset means the best that loads. */
  backend?: BackendName;
  /** AUTOGRADER_CACHE_DIR: where calibrations are kept; default .cache/ under the package root. */
  cacheDir: string;
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export function isBackendName(value: string): value is BackendName {
  return (BACKENDS as readonly string[]).includes(value);
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AutograderConfig {
  const backend = env.AUTOGRADER_BACKEND?.trim() || undefined;
  if (backend !== undefined && !isBackendName(backend)) {
    throw new ConfigError(
      `AUTOGRADER_BACKEND is "${backend}"; expected one of ${BACKENDS.join(', ')}`,
    );
  }
  const root = packageRoot();
  return {
    cifar10Dir:
      env.AUTOGRADER_CIFAR10_DIR?.trim() ||
      path.resolve(root, '..', 'shared', 'cifar-10-batches-bin'),
    backend,
    cacheDir: env.AUTOGRADER_CACHE_DIR?.trim() || path.join(root, '.cache'),
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
