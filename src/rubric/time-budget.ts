import type { Rubric } from './types.js';

/**
 * The longest a grading job can legitimately run: every allowed experiment using its whole
 * training time limit, plus the job's overhead. The Batch job timeout is derived from it, so a
 * job the grader would end on its own is never killed by Batch first.
 */
export function jobTimeLimitSeconds(rubric: Rubric): number {
  const { time_limit_seconds_per_experiment: perExperiment, job_overhead_seconds: overhead } =
    rubric.training;
  return rubric.limits.max_experiments * perExperiment + overhead;
}
