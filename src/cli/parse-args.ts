import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closest } from '../spec/index.js';
import { UsageError } from './errors.js';

/**
 * node:util parseArgs, strict, with its complaints as usage errors. An unknown option is named
 * in our words with the nearest known one: Node's own message ends in an unbalanced quote.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T & { strict: true }>> {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown?.[1]) {
      const flag = unknown[1];
      const known = Object.keys(config.options ?? {}).map((name) => `--${name}`);
      const guess = closest(flag, known);
      throw new UsageError(
        `unknown option ${flag}${guess ? ` (did you mean ${guess}?)` : ''}; --help lists the options`,
      );
    }
    throw new UsageError(message);
  }
}
