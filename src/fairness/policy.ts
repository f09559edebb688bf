import type { BaselineRecheckPolicy, ReproductionPolicy } from './types.js';

/** The part of a rubric task the policy readers look at. */
export interface PolicyTask {
  number: string;
  reproduction?: unknown;
  recheck?: unknown;
}

function numberIn(task: PolicyTask, group: 'reproduction' | 'recheck', key: string): number {
  const settings = task[group];
  const value =
    typeof settings === 'object' && settings !== null
      ? (settings as Record<string, unknown>)[key]
      : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`rubric task ${task.number} has no non-negative number "${group}.${key}"`);
  }
  return value;
}

function runsIn(task: PolicyTask, group: 'reproduction' | 'recheck'): number {
  const runs = numberIn(task, group, 'recheck_runs');
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(
      `rubric task ${task.number}'s "${group}.recheck_runs" must be a whole number ≥ 1`,
    );
  }
  return runs;
}

/** The optional collapse limit of a policy group: absent means every re-check run counts. */
function collapseLimitIn(
  task: PolicyTask,
  group: 'reproduction' | 'recheck',
): { collapse_below_median_pp?: number } {
  const settings = task[group];
  const present =
    typeof settings === 'object' &&
    settings !== null &&
    (settings as Record<string, unknown>).collapse_below_median_pp !== undefined;
  if (!present) return {};
  const limit = numberIn(task, group, 'collapse_below_median_pp');
  if (limit === 0) {
    throw new Error(
      `rubric task ${task.number}'s "${group}.collapse_below_median_pp" must be above 0: at 0 every run below the median would be left out`,
    );
  }
  return { collapse_below_median_pp: limit };
}

/** Task 4.1's policy from the rubric task; throws naming the setting that is missing or wrong. */
export function reproductionPolicyOf(task: PolicyTask): ReproductionPolicy {
  const policy = {
    pass_within_pp: numberIn(task, 'reproduction', 'pass_within_pp'),
    recheck_within_pp: numberIn(task, 'reproduction', 'recheck_within_pp'),
    recheck_runs: runsIn(task, 'reproduction'),
    mean_within_pp: numberIn(task, 'reproduction', 'mean_within_pp'),
    under_claim_within_pp: numberIn(task, 'reproduction', 'under_claim_within_pp'),
    ...collapseLimitIn(task, 'reproduction'),
  };
  if (policy.under_claim_within_pp < policy.pass_within_pp) {
    throw new Error(
      `rubric task ${task.number}'s "reproduction.under_claim_within_pp" is below its "pass_within_pp"`,
    );
  }
  if (policy.recheck_within_pp < policy.pass_within_pp) {
    throw new Error(
      `rubric task ${task.number}'s "reproduction.recheck_within_pp" is below its "pass_within_pp"`,
    );
  }
  return policy;
}

/** Task 3.3's re-check policy from the rubric task; throws naming the setting that is wrong. */
export function baselinePolicyOf(task: PolicyTask): BaselineRecheckPolicy {
  return {
    recheck_beyond_pp: numberIn(task, 'recheck', 'recheck_beyond_pp'),
    recheck_runs: runsIn(task, 'recheck'),
    mean_margin_pp: numberIn(task, 'recheck', 'mean_margin_pp'),
    ...collapseLimitIn(task, 'recheck'),
  };
}
