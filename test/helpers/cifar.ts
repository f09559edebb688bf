import { existsSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '../../src/config.js';
import { CIFAR10_TEST_FILE } from '../../src/data/types.js';

/** The real CIFAR-10 directory when this checkout has one (see readConfig().cifar10Dir), else undefined. */
export function realCifarDir(): string | undefined {
  const dir = readConfig().cifar10Dir;
  return existsSync(path.join(dir, CIFAR10_TEST_FILE)) ? dir : undefined;
}

/** Put in a skipped suite's title, so a run without the data says why those tests did not run. */
export const REAL_CIFAR_SKIP_REASON =
  'needs the real CIFAR-10 binaries (../shared/cifar-10-batches-bin or AUTOGRADER_CIFAR10_DIR); skipped when absent';
