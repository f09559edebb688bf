import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../src/config.js';

/**
 * The CIFAR-10 copy a benchmark reads: AUTOGRADER_CIFAR10_DIR when set, else the copy beside the
 * checkout (../shared/cifar-10-batches-bin) when there is one, else the user's cache (where
 * `autograder data fetch` puts it).
 */
export function benchCifarDir(): string {
  if (process.env.AUTOGRADER_CIFAR10_DIR?.trim()) return readConfig().cifar10Dir;
  const shared = fileURLToPath(new URL('../../shared/cifar-10-batches-bin', import.meta.url));
  return existsSync(shared) ? shared : readConfig().cifar10Dir;
}
