import { mean, sampleSd } from './normal.js';
import type { BaselineRecheckPolicy, ReproductionPolicy } from './types.js';

/** One grader run as the result file records it: no accuracy when it did not finish. */
export interface JudgedRun {
  seed: number;
  test_accuracy: number | null;
}

/** Several runs of one experiment: the first and the re-check's, in seed order. */
export interface RunFigures {
  mean: number;
  /** Sample standard deviation over the runs. */
  sd: number;
  seeds: number[];
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

/** The first run and the first `needed` re-check runs, or why they cannot be judged. */
function gather(first: JudgedRun, recheck: readonly JudgedRun[] | null, needed: number): Gathered {
  const runs = (recheck ?? []).slice(0, needed);
  if (runs.length < needed) return { kind: 'missing' };
  const all = [first, ...runs];
  const failed = all.find((r) => r.test_accuracy === null || !Number.isFinite(r.test_accuracy));
  if (failed) return { kind: 'failed', seed: failed.seed };
  const values = all.map((r) => r.test_accuracy as number);
  return {
    kind: 'figures',
    figures: { mean: mean(values), sd: sampleSd(values), seeds: all.map((r) => r.seed) },
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
 * `recheck_runs` more decides. Without those runs the first run decides alone.
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
  const gathered = gather(first, recheck, policy.recheck_runs);
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
 * `recheck_runs` more is judged with `mean_margin_pp` more room, and the better verdict counts.
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
  const gathered = gather(first, recheck, policy.recheck_runs);
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
