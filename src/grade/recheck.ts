import type { RecheckPlan } from '../fairness/index.js';
import type { TrainOutcome } from '../train/types.js';
import type { GradeEvent } from './types.js';

export interface RecheckContext {
  plans: readonly RecheckPlan[];
  /** Trains the plan's experiment with a seed; undefined when grading was stopped meanwhile. */
  trainAt: (plan: RecheckPlan, seed: number) => Promise<TrainOutcome | undefined>;
  /** Called once per plan when all its runs are back, in seed order. */
  onDone: (
    plan: RecheckPlan,
    runs: Array<{ seed: number; outcome: TrainOutcome }>,
  ) => Promise<void>;
  onEvent?: (event: GradeEvent) => void;
  signal?: AbortSignal;
  /** Runs trained at once; like experiments, with a parallel trainer. */
  concurrency: number;
}

/**
 * Trains every planned re-check run, `concurrency` at a time, announcing each plan as its first
 * run starts. Runs of different plans are independent; a plan is reported once complete.
 */
export async function runRechecks(context: RecheckContext): Promise<void> {
  const jobs = context.plans.flatMap((plan) => plan.seeds.map((seed) => ({ plan, seed })));
  if (jobs.length === 0) return;
  const finished = new Map<RecheckPlan, Array<{ seed: number; outcome: TrainOutcome }>>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length && !context.signal?.aborted) {
      const { plan, seed } = jobs[next] as (typeof jobs)[number];
      next += 1;
      if (seed === plan.seeds[0]) {
        context.onEvent?.({
          type: 'recheck',
          name: plan.name,
          index: plan.index,
          seeds: plan.seeds,
          tasks: plan.tasks,
          reason: plan.reason,
          reported: plan.reported,
          reproduced: plan.reproduced,
        });
      }
      const outcome = await context.trainAt(plan, seed);
      if (outcome === undefined) return;
      context.onEvent?.({ type: 'recheck-end', name: plan.name, index: plan.index, seed, outcome });
      const runs = finished.get(plan) ?? [];
      runs.push({ seed, outcome });
      finished.set(plan, runs);
      if (runs.length === plan.seeds.length) {
        await context.onDone(
          plan,
          [...runs].sort((a, b) => a.seed - b.seed),
        );
      }
    }
  };
  const lanes = Math.max(1, Math.min(jobs.length, Math.floor(context.concurrency)));
  await Promise.all(Array.from({ length: lanes }, lane));
}
