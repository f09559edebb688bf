import { RUBRIC_CHECKS } from './checks.js';
import { roundScore, scoreStatus } from './format.js';
import type {
  CheckInput,
  CheckVerdict,
  Rubric,
  RubricCheck,
  RubricTask,
  TaskNumber,
  TaskVerdict,
} from './types.js';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function failedCheck(task: RubricTask, reason: string): TaskVerdict {
  return {
    number: task.number,
    name: task.name,
    score: 0,
    max_score: task.points,
    status: 'error',
    message: `0 points: the check failed (${reason}). This is a problem in the grader, not in your submission; course staff can re-run it once it is fixed.`,
  };
}

/** A check's answer, trusted only as far as the rubric allows: the rubric owns max_score. */
function acceptVerdict(task: RubricTask, v: CheckVerdict): TaskVerdict {
  if (typeof v.score !== 'number' || !Number.isFinite(v.score)) {
    return failedCheck(task, `it returned a score of ${String(v.score)}`);
  }
  const score = roundScore(Math.min(Math.max(v.score, 0), task.points));
  return {
    number: task.number,
    name: task.name,
    score,
    max_score: task.points,
    status: v.status === 'error' ? 'error' : scoreStatus(score, task.points),
    message: v.message,
  };
}

/**
 * Runs the rubric's checks in the rubric's order. A check that throws (or answers nonsense)
 * is recorded as 0 points with the reason, like a linter recording a rule that crashed: one
 * broken check never takes the result file down.
 */
export function scoreRubric(
  input: CheckInput,
  rubric: Rubric,
  checks: Readonly<Partial<Record<TaskNumber, RubricCheck>>> = RUBRIC_CHECKS,
): TaskVerdict[] {
  return rubric.tasks.map((task) => {
    const check = checks[task.number];
    if (!check) return failedCheck(task, `no check is registered for task ${task.number}`);
    try {
      return acceptVerdict(task, check(input, task));
    } catch (error) {
      return failedCheck(task, reasonOf(error));
    }
  });
}

/** The total of the verdicts, to hundredths. */
export function totalScore(verdicts: readonly TaskVerdict[]): number {
  return roundScore(verdicts.reduce((sum, v) => sum + v.score, 0));
}

/** The rubric's maximum. */
export function maxScore(rubric: Rubric): number {
  return roundScore(rubric.tasks.reduce((sum, t) => sum + t.points, 0));
}
