import { formatPercent, formatPoints } from '../rubric/format.js';
import type {
  BaselineRecord,
  ExperimentRecord,
  Rubric,
  RubricTask,
  TaskNumber,
} from '../rubric/types.js';
import { baselineNeedsRecheck, claimNeedsRecheck } from './judge.js';
import { baselinePolicyOf, reproductionPolicyOf } from './policy.js';
import type { BaselineRecheckPolicy, ReproductionPolicy } from './types.js';

/** One experiment to train again with more seeds, and why. */
export interface RecheckPlan {
  /** The experiment's index in the submission. */
  index: number;
  name: string;
  /** seed + 1 … seed + runs. */
  seeds: number[];
  tasks: TaskNumber[];
  reason: string;
  /** The figure the student reported, if any; the first run's accuracy. */
  reported: number | null;
  reproduced: number;
}

function taskOf(rubric: Rubric, number: TaskNumber): RubricTask | undefined {
  return rubric.tasks.find((t) => t.number === number);
}

/** A policy the rubric may lack (a custom rubric): then that task asks for no re-checks. */
function optional<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function measured(record: ExperimentRecord): number | undefined {
  return record.status === 'ok' && record.test_accuracy !== null ? record.test_accuracy : undefined;
}

/**
 * Which experiments the grader trains again after the first pass, and why: a task 4.1 claim
 * inside the re-check band (only when enough experiments report figures for 4.1 to score at
 * all), and task 3.3's final network short of full marks inside its band. Each experiment
 * gets the larger of the two re-check sizes once; both checks read the runs they need.
 * Pure, and never throws: a task without a policy asks for nothing.
 */
export function planRechecks(input: {
  rubric: Rubric;
  experiments: readonly ExperimentRecord[];
  baseline: BaselineRecord;
  seed: number;
}): RecheckPlan[] {
  const reproductionTask = taskOf(input.rubric, '4.1');
  const reproduction = reproductionTask
    ? optional<ReproductionPolicy>(() => reproductionPolicyOf(reproductionTask))
    : undefined;
  const reporting = input.experiments.filter(
    (r) => r.reported.params !== null && r.reported.test_accuracy !== null,
  ).length;
  const claimsScored =
    reproduction !== undefined && reporting >= (reproductionTask?.min_experiments ?? 0);
  const baselineTask = taskOf(input.rubric, '3.3');
  const baselinePolicy = baselineTask
    ? optional<BaselineRecheckPolicy>(() => baselinePolicyOf(baselineTask))
    : undefined;
  const comparable = baselineTask?.comparable_within_pp;
  const partial = baselineTask?.partial_within_pp;

  const plans: RecheckPlan[] = [];
  input.experiments.forEach((record, index) => {
    const accuracy = measured(record);
    if (accuracy === undefined) return;
    const reasons: string[] = [];
    const tasks: TaskNumber[] = [];
    let runs = 0;
    const claimed = record.reported.test_accuracy;
    if (claimsScored && reproduction && claimed !== null) {
      if (claimNeedsRecheck(claimed, accuracy, reproduction)) {
        tasks.push('4.1');
        runs = Math.max(runs, reproduction.recheck_runs);
        reasons.push(
          `4.1: reported ${formatPercent(claimed)}, the first run gave ${formatPercent(accuracy)}: ${formatPoints(Math.abs(claimed - accuracy))} apart, more than ${formatPoints(reproduction.pass_within_pp)} but within ${formatPoints(reproduction.recheck_within_pp)}`,
        );
      }
    }
    if (
      record.final &&
      baselinePolicy &&
      typeof comparable === 'number' &&
      typeof partial === 'number' &&
      record.params < input.baseline.params &&
      baselineNeedsRecheck(
        input.baseline.accuracy,
        accuracy,
        { comparable_within_pp: comparable, partial_within_pp: partial },
        baselinePolicy,
      )
    ) {
      tasks.unshift('3.3');
      runs = Math.max(runs, baselinePolicy.recheck_runs);
      reasons.unshift(
        `3.3: the first run gave ${formatPercent(accuracy)}, ${formatPoints(input.baseline.accuracy - accuracy)} below the baseline's ${formatPercent(input.baseline.accuracy)}: short of full marks (within ${formatPoints(comparable)}) but within ${formatPoints(comparable + baselinePolicy.recheck_beyond_pp)}`,
      );
    }
    if (runs === 0) return;
    plans.push({
      index,
      name: record.name,
      seeds: Array.from({ length: runs }, (_, i) => input.seed + i + 1),
      tasks,
      reason: reasons.join('; '),
      reported: claimed,
      reproduced: accuracy,
    });
  });
  return plans;
}
