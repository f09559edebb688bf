import { existsSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '../../src/config.js';
import { CIFAR10_TEST_FILE } from '../../src/data/types.js';

/**
 * The real CIFAR-10 directory when this checkout has one (see readConfig().cifar10Dir), else
 * undefined. With a suite name, says on stderr that the suite is skipped, so a run without the
 * data shows which tests did not run and why, not just a count.
 */
export function realCifarDir(suite?: string): string | undefined {
  const dir = readConfig().cifar10Dir;
  if (existsSync(path.join(dir, CIFAR10_TEST_FILE))) return dir;
  if (suite !== undefined)
    console.warn(`SKIPPED: ${suite}: ${REAL_CIFAR_SKIP_REASON} (looked in ${dir})`);
  return undefined;
}

/** Put in a skipped suite's title, so a run without the data says why those tests did not run. */
export const REAL_CIFAR_SKIP_REASON =
  'needs the real CIFAR-10 binaries (AUTOGRADER_CIFAR10_DIR, which the test config points at ../shared/cifar-10-batches-bin when it exists); skipped when absent';
