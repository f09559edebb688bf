/**
 * Fair verdicts under seed noise: the normal-noise arithmetic, the tolerances derived from
 * measured spread (rubric/noise/seed-noise.json), the pure judges tasks 3.3 and 4.1 use, and the
 * planner that says which experiments the grader trains again. Pure; no I/O.
 */
export { type HonestSeedVerdict, judgeHonestSeeds } from './audit.js';
export {
  boundCoverage,
  type Coverage,
  type CoverageCheck,
  simulateMeasurements,
} from './coverage.js';
export {
  DEFAULT_BASELINE_TARGETS,
  DEFAULT_GRID,
  DEFAULT_REPRODUCTION_TARGETS,
  deriveBaselinePolicy,
  deriveReproductionPolicy,
  measuredUnderClaim,
  noiseUncertainty,
  searchBaselinePolicy,
  searchReproductionPolicy,
} from './derive.js';
export { NoFairPolicyError, NoiseMeasurementsError } from './errors.js';
export { formatRate, formatReproduced, formatSeeds } from './format.js';
export {
  type BaselineJudgement,
  type BaselineLevel,
  type BaselineLimits,
  baselineNeedsRecheck,
  type ClaimJudgement,
  claimNeedsRecheck,
  type JudgedRun,
  judgeBaseline,
  judgeClaim,
  type RecheckOutcome,
  type RunFigures,
} from './judge.js';
export { type LimitingTerm, limitingTerms } from './limits.js';
export {
  biasFitAt,
  biasSpreadWhereQIs,
  COLLAPSE_SDS,
  parseSeedNoise,
  summarizeNoise,
} from './noise.js';
export {
  binomialCdf,
  chiSquareQuantile,
  mean,
  median,
  normalCdf,
  normalPdf,
  normalQuantile,
  probabilityWithin,
  quantile,
  rateUpperBound,
  robustSd,
  sampleSd,
  sdUpperBound,
  simpson,
} from './normal.js';
export { planRechecks, type RecheckPlan } from './plan.js';
export { baselinePolicyOf, reproductionPolicyOf } from './policy.js';
export {
  baselineRates,
  boundOverDraws,
  claimProbabilities,
  claimProbabilitiesWithCollapse,
  falseDeductionBoundBelow,
  fullMarksProbabilities,
  honestClaimRates,
  jointBaselineRates,
  jointReproductionRates,
  loseFullAtLimit,
  loseFullBoundBelow,
  recheckProbability,
  reproductionRates,
} from './rates.js';
export {
  renderCoverage,
  renderLimitingTerms,
  renderNoiseReport,
  withDerivedTolerances,
} from './report.js';
export * from './types.js';
export {
  allowedAbove,
  boundsStartAtEstimate,
  DEFAULT_UNCERTAINTY,
  estimateModelOf,
  lowerBound,
  noiseModelOf,
  noiseUncertaintyOf,
  shareNoisierThanEstimate,
  type UncertaintyOptions,
  upperBound,
  withTerms,
} from './uncertainty.js';
