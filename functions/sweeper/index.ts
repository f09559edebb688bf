import { readLambdaConfig } from '../../src/config.js';
import {
  type AwsClients,
  embeddedMetrics,
  jsonLog,
  type Logger,
  type SweepDeps,
  type SweepEntry,
  sweepDepsFor,
  sweepSubmissions,
} from '../../src/pipeline/index.js';

export interface SweeperOptions {
  env?: NodeJS.ProcessEnv;
  clients?: AwsClients;
  log?: Logger;
  now?: () => number;
}

/** Scheduled: finds submissions stuck short of their result and moves each one on. */
export function makeSweeperHandler(options: SweeperOptions = {}): () => Promise<SweepEntry[]> {
  let deps: SweepDeps | undefined;
  return async () => {
    const log = options.log ?? jsonLog;
    const now = options.now ?? Date.now;
    deps ??= {
      ...sweepDepsFor(readLambdaConfig(options.env), options.clients, log),
      now,
      metrics: (figures) => log(embeddedMetrics(figures, now())),
    };
    const entries = await sweepSubmissions(deps);
    const errors = entries.filter((entry) => entry.action === 'error');
    // A failed sweep counts as a Lambda error, which the errors alarm reports to staff.
    if (errors.length > 0) {
      throw new Error(
        `the sweep could not move ${errors.length} submission(s) on: ${errors.map((entry) => `${entry.student}/${entry.id}: ${entry.detail}`).join('; ')}`,
      );
    }
    return entries;
  };
}

export const handler = makeSweeperHandler();
