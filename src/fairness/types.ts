/** One training run's test accuracy (percent) at a seed. */
export interface SeedRun {
  seed: number;
  test_accuracy: number;
}

export interface NoiseEngine {
  name: string;
  version: string;
  threads: number;
}

/**
 * rubric/noise/seed-noise.json: the same networks trained with several seeds on the engine
 * students use (student, PyTorch) and on the grader's engine (grader), written by
 * bench/seed-noise.ts. The tolerances of tasks 3.3 and 4.1 are derived from it.
 */
export interface SeedNoiseMeasurements {
  /** Date of the measurement, YYYY-MM-DD. */
  measured: string;
  machine: string;
  load_average: number[];
  epochs: number;
  train_images: number;
  test_images: number;
  batch_size: number;
  lr: number;
  optimizer: string;
  engines: { student: NoiseEngine; grader: NoiseEngine };
  networks: Array<{
    name: string;
    params: number;
    student: SeedRun[];
    grader: SeedRun[];
  }>;
}

/** One network's runs on one engine. */
export interface SpreadFigures {
  runs: number;
  mean: number;
  sd: number;
  median: number;
  /** 1.4826 × the median absolute deviation: the sd without the collapsed runs' pull. */
  robust_sd: number;
  /** Runs that collapsed: below the median by more than the engine's collapse limit. */
  collapsed: number;
  /** Mean and sample sd of the other runs, the body of the distribution the normal model is for. */
  body_mean: number;
  body_sd: number;
}

export interface NetworkSpread {
  name: string;
  params: number;
  student: SpreadFigures;
  grader: SpreadFigures;
  /** mean_grader − mean_student, percentage points. */
  difference: number;
  /** median_grader − median_student. */
  median_difference: number;
  /** body_mean_grader − body_mean_student: this network's engine bias. */
  body_difference: number;
}

/** An engine's seed noise pooled over networks. */
export interface PooledSpread {
  /** √(Σ(nᵢ−1)sᵢ² / Σ(nᵢ−1)) over every run. */
  sd: number;
  /** The same pooling of the robust (MAD) sds. */
  robust_sd: number;
  /** A run more than this far below its network's median is a collapse (3 × body_sd). */
  collapse_limit: number;
  /** The pooled sd of the runs that did not collapse. */
  body_sd: number;
  /** Its degrees of freedom: Σ(kept runs − 1). */
  df: number;
  /** One-sided 95% upper confidence bound on body_sd. */
  upper: number;
  runs: number;
  collapsed: number;
  /** One-sided 95% upper bound on the collapse rate (Clopper–Pearson). */
  collapse_rate_upper: number;
  /** The deepest collapse: how far its run fell below its network's body mean (0 if none). */
  deepest_collapse: number;
}

/**
 * How the engine bias varies between networks, as a random effect: network i's bias
 * βᵢ ~ N(μ_b, τ²), estimated from the body means' differences dᵢ with their sampling variances.
 */
export interface BiasSpread {
  /** μ_b: the inverse-variance weighted mean of the dᵢ, at τ = its estimate. */
  mean: number;
  /** Standard error of μ_b at that τ. */
  mean_se: number;
  /** τ's estimate (DerSimonian–Laird's moment estimator); 0 when Q ≤ its df. */
  spread: number;
  /** One-sided 95% upper bound on τ (Q-profile); 0 when the dᵢ vary no more than sampling does. */
  spread_upper: number;
  /** Cochran's Q at τ = 0 and its degrees of freedom (networks − 1). */
  q: number;
  df: number;
  /** The dᵢ and their sampling variances vᵢ, network by network: what τ and μ_b are fitted to. */
  differences: number[];
  variances: number[];
}

/** What the policies are derived from. */
export interface NoiseSummary {
  networks: NetworkSpread[];
  student: PooledSpread;
  grader: PooledSpread;
  /** σ_T: the student engine's pooled body sd, upper bound. */
  sigmaStudent: number;
  /** σ_G: the grader engine's pooled body sd, upper bound. */
  sigmaGrader: number;
  biasSpread: BiasSpread;
}

/** A grader run that collapses: how often, and how far (the deepest measured). */
export interface RunCollapse {
  rate: number;
  depth: number;
}

/** The noise model the rates are computed under (percentage points). */
export interface NoiseModel {
  /** The spread of a student's run around the grader's mean for the same network, bias included. */
  sigmaStudent: number;
  sigmaGrader: number;
  /** The engine bias common to networks: the grader's mean minus the student's, signed. */
  bias: number;
  /** The grader's first run collapses this often and this far; absent: never. */
  firstRunCollapse?: RunCollapse;
}

/** The noise terms the measurements estimate, each on its own (percentage points). */
export interface NoiseTerms {
  /** σ_T and σ_G: the engines' body sds. */
  studentSd: number;
  graderSd: number;
  /** τ: how far one network's engine bias strays from the common one. */
  biasSpread: number;
  /** μ_b, signed (grader − student). */
  bias: number;
  /** How often a grader run collapses. */
  collapseRate: number;
}

/**
 * What the measurements say about the noise: the estimates, and noise terms drawn from what the
 * measurements allow (one generalized pivotal quantity per term), each draw a plausible truth.
 * A rate's joint bound at `confidence` is its quantile over the draws.
 */
export interface NoiseUncertainty {
  estimate: NoiseTerms;
  draws: NoiseTerms[];
  confidence: number;
  /** What no draw varies: the deepest measured collapse, and the collapse limit. */
  collapseDepth: number;
  /**
   * How far below its network's median a grader run has to fall to count as collapsed (the
   * measurements' rule); the derived re-checks leave such runs out. Absent: none are.
   */
  collapseLimit?: number;
}

/**
 * Task 4.1's rule for a reported test accuracy against the grader's reproduction. With
 * d = |claimed − first run|: d ≤ pass_within_pp holds; d > recheck_within_pp fails at once;
 * between them the grader trains recheck_runs more seeds and the claim holds iff it is within
 * mean_within_pp of the mean of all recheck_runs + 1 runs.
 */
export interface ReproductionPolicy {
  pass_within_pp: number;
  recheck_within_pp: number;
  recheck_runs: number;
  mean_within_pp: number;
  /**
   * A claim BELOW the first run holds when it is at most this far below. Runs collapse with the
   * seed (a low outlier, mostly BatchNorm networks, on both engines) but never jump up as far,
   * and a claim below the grader's figure gains the student nothing: this side is set from the
   * largest honest shortfall measured, never narrower than the re-check band.
   */
  under_claim_within_pp: number;
  /**
   * In a re-check, a run more than this far below the median of the runs judged collapsed with
   * its seed and is left out of the mean (with three runs or more). Absent: every run counts.
   */
  collapse_below_median_pp?: number;
}

/**
 * Task 3.3's re-check of a final network the first run leaves short of full marks. With
 * g = baseline − first run and c = comparable_within_pp: g ≤ c is full marks; otherwise, if
 * g ≤ c + recheck_beyond_pp, the grader trains recheck_runs more seeds and judges the mean gap:
 * full marks within c + mean_margin_pp, partial within partial_within_pp + mean_margin_pp.
 * A re-check only ever raises the first run's verdict.
 */
export interface BaselineRecheckPolicy {
  recheck_beyond_pp: number;
  recheck_runs: number;
  mean_margin_pp: number;
  /** As in ReproductionPolicy: a collapsed run is left out of the re-check's mean. */
  collapse_below_median_pp?: number;
}

/** How good a 4.1 policy is under a noise model. */
export interface ReproductionRates {
  /** Chance an honest claim fails. */
  false_deduction: number;
  /** Chance a claim the fabrication offset above the student's run fails. */
  detection: number;
  /** Re-check runs per honest claim, on average. */
  expected_extra_runs: number;
}

/** ReproductionRates at the estimates, with the joint bounds that matter over the draws. */
export interface JointReproductionRates extends ReproductionRates {
  /** The false-deduction rate's one-sided upper bound at the uncertainty's confidence. */
  false_deduction_upper: number;
  /** The detection rate's one-sided lower bound at the same confidence. */
  detection_lower: number;
}

/** How good a 3.3 re-check policy is under σ_G. */
export interface BaselineRates {
  /** Chance a network whose true mean is exactly at the comparable limit loses full marks. */
  lose_full_at_limit: number;
  /** Chance a network truly `below_pp` under the comparable limit still gets full marks. */
  full_when_below: number;
  /** Re-check runs for a network at the limit, on average. */
  expected_extra_runs_at_limit: number;
}

/** BaselineRates at the estimates, with their joint bounds over the draws. */
export interface JointBaselineRates extends BaselineRates {
  /** lose_full_at_limit's one-sided upper bound at the uncertainty's confidence. */
  lose_full_at_limit_upper: number;
  /** full_when_below's one-sided upper bound at the same confidence. */
  full_when_below_upper: number;
}

/** Targets and search space of deriveReproductionPolicy; the rubric stores them beside the policy. */
export interface ReproductionTargets {
  /** Honest claims may fail at most this often (strictly less). */
  max_false_deduction: number;
  /** The made-up figure to catch: this many points off the student's own run. */
  fabricated_off_by_pp: number;
  /** Re-check runs per honest claim, on average, at most. */
  max_expected_extra_runs: number;
}

export interface BaselineTargets {
  max_lose_full_at_limit: number;
  /** The network to deny full marks: truly this far below the comparable limit. */
  below_limit_pp: number;
}

/** The grid searched: tolerances in step_pp steps up to max_pp, and these re-check sizes. */
export interface SearchGrid {
  step_pp: number;
  max_pp: number;
  recheck_runs: number[];
}

export interface DerivedReproduction {
  policy: ReproductionPolicy;
  rates: JointReproductionRates;
  noise: NoiseUncertainty;
  /** Policies whose rates were computed at the estimates, and those bounded over the draws. */
  searched: number;
  bounded: number;
}

export interface DerivedBaseline {
  policy: BaselineRecheckPolicy;
  rates: JointBaselineRates;
  noise: NoiseUncertainty;
  searched: number;
  bounded: number;
}

/** Task 4.1's `noise` envelope in the rubric: where its policy came from and how good it is. */
export interface ReproductionNoise {
  /** The measurements, relative to rubric/. */
  source: string;
  /** Their date; null until measured (the policy is then a placeholder). */
  measured: string | null;
  /** The estimates: σ_T and σ_G (body sds), μ_b (signed) and τ. */
  sigma_student_pp: number | null;
  sigma_grader_pp: number | null;
  engine_bias_pp: number | null;
  engine_bias_spread_pp: number | null;
  /** The grader's collapsed runs: rate (measured) and deepest drop. */
  grader_collapse_rate: number | null;
  grader_collapse_depth_pp: number | null;
  /** The joint bounds' confidence. */
  confidence: number | null;
  /** At the estimates, and the bound the target is held to. */
  false_deduction_rate: number | null;
  false_deduction_upper: number | null;
  detection_rate: number | null;
  detection_lower: number | null;
  expected_extra_runs: number | null;
  targets: ReproductionTargets;
  grid: SearchGrid;
}

/** Task 3.3's `noise` envelope in the rubric. */
export interface BaselineNoise {
  source: string;
  measured: string | null;
  sigma_grader_pp: number | null;
  confidence: number | null;
  lose_full_at_limit_rate: number | null;
  lose_full_at_limit_upper: number | null;
  full_when_below_rate: number | null;
  full_when_below_upper: number | null;
  expected_extra_runs_at_limit: number | null;
  targets: BaselineTargets;
  grid: SearchGrid;
}
