import { mean, median, sampleSd } from './normal.js';
import type { BaselineRecheckPolicy, ReproductionPolicy } from './types.js';

/** One grader run as the result file records it: no accuracy when it did not finish. */
export interface JudgedRun {
  seed: number;
  test_accuracy: number | null;
}

/** A run a re-check left out of its mean: it collapsed with its seed. */
export interface LeftOutRun {
  seed: number;
  test_accuracy: number;
  /** How far below the median of the runs it fell, percentage points. */
  below_median: number;
}

/** Several runs of one experiment: the first and the re-check's, in seed order. */
export interface RunFigures {
  /** Mean and sample standard deviation over the runs judged (those not left out). */
  mean: number;
  sd: number;
  seeds: number[];
  leftOut: LeftOutRun[];
}

/**
 * rechecked: decided on the mean of the runs. not-rechecked: the claim was borderline but no
 * re-check runs were recorded; recheck-failed: a re-check run did not finish. In both the first
 * run decides alone.
 */
export type RecheckOutcome = 'rechecked' | 'not-rechecked' | 'recheck-failed';

export interface ClaimJudgement {
  holds: boolean;
  /** |claimed − first run|. */
  gap: number;
  /** within/beyond: the first run decided (inside the pass tolerance, or past the re-check band). */
  outcome: 'within' | 'beyond' | RecheckOutcome;
  /** The runs judged, when the mean decided. */
  reproduced: RunFigures | null;
  /** |claimed − mean|, when the mean decided. */
  meanGap: number | null;
  /** The re-check run that did not finish, for recheck-failed. */
  failedSeed: number | null;
}

type Gathered =
  | { kind: 'figures'; figures: RunFigures }
  | { kind: 'missing' }
  | { kind: 'failed'; seed: number };

/**
 * The first run and the first `needed` re-check runs, or why they cannot be judged. With a
 * collapse limit and three runs or more, a run further than it below the runs' median is left
 * out of the figures: one collapsed seed would otherwise drag the mean by depth/(k+1).
 */
function gather(
  first: JudgedRun,
  recheck: readonly JudgedRun[] | null,
  needed: number,
  collapseLimit: number | undefined,
): Gathered {
  const runs = (recheck ?? []).slice(0, needed);
  if (runs.length < needed) return { kind: 'missing' };
  const all = [first, ...runs];
  const failed = all.find((r) => r.test_accuracy === null || !Number.isFinite(r.test_accuracy));
  if (failed) return { kind: 'failed', seed: failed.seed };
  const finished = all as Array<{ seed: number; test_accuracy: number }>;
  const middle = median(finished.map((r) => r.test_accuracy));
  const collapsed = (r: { test_accuracy: number }) =>
    collapseLimit !== undefined && finished.length >= 3 && middle - r.test_accuracy > collapseLimit;
  const kept = finished.filter((r) => !collapsed(r));
  const values = kept.map((r) => r.test_accuracy);
  return {
    kind: 'figures',
    figures: {
      mean: mean(values),
      sd: sampleSd(values),
      seeds: kept.map((r) => r.seed),
      leftOut: finished
        .filter(collapsed)
        .map((r) => ({ ...r, below_median: middle - r.test_accuracy })),
    },
  };
}

/** Whether task 4.1 re-checks a claim, given the first run: it is inside the re-check band. */
export function claimNeedsRecheck(
  claimed: number,
  firstAccuracy: number,
  policy: ReproductionPolicy,
): boolean {
  if (isHeldUnderClaim(claimed, firstAccuracy, policy)) return false;
  const gap = Math.abs(claimed - firstAccuracy);
  return gap > policy.pass_within_pp && gap <= policy.recheck_within_pp;
}

/** A claim below the first run, within the under-claim tolerance: it holds without a re-check. */
function isHeldUnderClaim(
  claimed: number,
  firstAccuracy: number,
  policy: ReproductionPolicy,
): boolean {
  return claimed < firstAccuracy && firstAccuracy - claimed <= policy.under_claim_within_pp;
}

/**
 * Task 4.1's verdict on one reported accuracy: within the pass tolerance of the first run it
 * holds; past the re-check band it fails; in between the mean of the first run and
 * `recheck_runs` more decides, leaving out a run that collapsed. Without those runs the first
 * run decides alone.
 */
export function judgeClaim(
  claimed: number,
  first: JudgedRun & { test_accuracy: number },
  recheck: readonly JudgedRun[] | null,
  policy: ReproductionPolicy,
): ClaimJudgement {
  const gap = Math.abs(claimed - first.test_accuracy);
  const plain = { gap, reproduced: null, meanGap: null, failedSeed: null };
  if (gap <= policy.pass_within_pp || isHeldUnderClaim(claimed, first.test_accuracy, policy)) {
    return { ...plain, holds: true, outcome: 'within' };
  }
  if (gap > policy.recheck_within_pp) return { ...plain, holds: false, outcome: 'beyond' };
  const gathered = gather(first, recheck, policy.recheck_runs, policy.collapse_below_median_pp);
  if (gathered.kind === 'missing') return { ...plain, holds: false, outcome: 'not-rechecked' };
  if (gathered.kind === 'failed') {
    return { ...plain, holds: false, outcome: 'recheck-failed', failedSeed: gathered.seed };
  }
  const meanGap = Math.abs(claimed - gathered.figures.mean);
  return {
    holds: meanGap <= policy.mean_within_pp,
    gap,
    outcome: 'rechecked',
    reproduced: gathered.figures,
    meanGap,
    failedSeed: null,
  };
}

export type BaselineLevel = 'full' | 'partial' | 'none';

/** Task 3.3's thresholds, from the rubric task. */
export interface BaselineLimits {
  comparable_within_pp: number;
  partial_within_pp: number;
}

export interface BaselineJudgement {
  /** The verdict: the better of the first run's and, when re-checked, the mean's. */
  level: BaselineLevel;
  firstLevel: BaselineLevel;
  /** baseline − first run; negative when better than the baseline. */
  gap: number;
  outcome: 'first-run' | RecheckOutcome;
  reproduced: RunFigures | null;
  /** baseline − mean, when the mean was judged. */
  meanGap: number | null;
  meanLevel: BaselineLevel | null;
  failedSeed: number | null;
}

function level(gap: number, limits: BaselineLimits, margin: number): BaselineLevel {
  if (gap <= limits.comparable_within_pp + margin) return 'full';
  if (gap <= limits.partial_within_pp + margin) return 'partial';
  return 'none';
}

const RANK: Record<BaselineLevel, number> = { none: 0, partial: 1, full: 2 };

/** Whether task 3.3 re-checks the final network: short of full marks, within the re-check band. */
export function baselineNeedsRecheck(
  baselineAccuracy: number,
  firstAccuracy: number,
  limits: BaselineLimits,
  policy: BaselineRecheckPolicy,
): boolean {
  const gap = baselineAccuracy - firstAccuracy;
  return (
    gap > limits.comparable_within_pp &&
    gap <= limits.comparable_within_pp + policy.recheck_beyond_pp
  );
}

/**
 * Task 3.3's verdict on the final network's accuracy against the baseline. The first run
 * decides unless it falls short of full marks within the re-check band; then the mean of it and
 * `recheck_runs` more (a collapsed run left out) is judged with `mean_margin_pp` more room, and
 * the better verdict counts.
 */
export function judgeBaseline(
  baselineAccuracy: number,
  first: JudgedRun & { test_accuracy: number },
  recheck: readonly JudgedRun[] | null,
  limits: BaselineLimits,
  policy: BaselineRecheckPolicy,
): BaselineJudgement {
  const gap = baselineAccuracy - first.test_accuracy;
  const firstLevel = level(gap, limits, 0);
  const plain = {
    level: firstLevel,
    firstLevel,
    gap,
    reproduced: null,
    meanGap: null,
    meanLevel: null,
    failedSeed: null,
  };
  if (!baselineNeedsRecheck(baselineAccuracy, first.test_accuracy, limits, policy)) {
    return { ...plain, outcome: 'first-run' };
  }
  const gathered = gather(first, recheck, policy.recheck_runs, policy.collapse_below_median_pp);
  if (gathered.kind === 'missing') return { ...plain, outcome: 'not-rechecked' };
  if (gathered.kind === 'failed') {
    return { ...plain, outcome: 'recheck-failed', failedSeed: gathered.seed };
  }
  const meanGap = baselineAccuracy - gathered.figures.mean;
  const meanLevel = level(meanGap, limits, policy.mean_margin_pp);
  return {
    ...plain,
    level: RANK[meanLevel] > RANK[firstLevel] ? meanLevel : firstLevel,
    outcome: 'rechecked',
    reproduced: gathered.figures,
    meanGap,
    meanLevel,
  };
}
