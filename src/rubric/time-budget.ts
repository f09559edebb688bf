import { baselinePolicyOf, reproductionPolicyOf } from '../fairness/policy.js';
import type { Rubric, TaskNumber } from './types.js';

/** A task's re-check runs per experiment, 0 when the rubric gives it no re-check. */
function recheckRuns(rubric: Rubric, number: TaskNumber): number {
  const task = rubric.tasks.find((t) => t.number === number);
  if (!task) return 0;
  try {
    if (number === '4.1') {
      const p = reproductionPolicyOf(task);
      return p.recheck_within_pp > p.pass_within_pp ? p.recheck_runs : 0;
    }
    const p = baselinePolicyOf(task);
    return p.recheck_beyond_pp > 0 ? p.recheck_runs : 0;
  } catch {
    return 0;
  }
}

/**
 * Training runs a job can legitimately need: every allowed experiment, each re-checked for its
 * accuracy claim (task 4.1), and the final network with the larger of that and task 3.3's
 * re-check (docs/fairness.md).
 */
export function maxTrainingRuns(rubric: Rubric): number {
  const claim = recheckRuns(rubric, '4.1');
  const baseline = recheckRuns(rubric, '3.3');
  return rubric.limits.max_experiments * (1 + claim) + Math.max(0, baseline - claim);
}

/**
 * The longest a grading job can legitimately run: every training run it may need using its
 * whole time limit, plus the job's overhead. The Batch job timeout is derived from it, so a
 * job the grader would end on its own is never killed by Batch first.
 */
export function jobTimeLimitSeconds(rubric: Rubric): number {
  const { time_limit_seconds_per_experiment: perExperiment, job_overhead_seconds: overhead } =
    rubric.training;
  return maxTrainingRuns(rubric) * perExperiment + overhead;
}
