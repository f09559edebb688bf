import {
  type AutograderConfig,
  ConfigError,
  readConfig,
  readStaffConfig,
  type StaffConfig,
} from '../config.js';
import { UsageError } from './errors.js';
import type { CliIo } from './types.js';

/** A setting the environment got wrong is the user's to fix: a usage error (exit 2), one line. */
function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** The grader's settings from the command's environment. */
export function cliConfig(io: CliIo): AutograderConfig {
  return asUsage(() => readConfig(io.env));
}

/** The staff commands' settings from the command's environment. */
export function cliStaffConfig(io: CliIo): StaffConfig {
  return asUsage(() => readStaffConfig(io.env));
}
