import { type ClaimJudgement, judgeClaim } from './judge.js';
import type { ReproductionPolicy, SeedNoiseMeasurements } from './types.js';

export interface HonestSeedVerdict {
  network: string;
  seed: number;
  claimed: number;
  judgement: ClaimJudgement;
}

/**
 * Every student seed in the measurements judged as an honest claim under task 4.1's policy:
 * the grader's runs of the same network in seed order stand in for the grading, the first as
 * the first run and the next recheck_runs as the re-check. What should all hold.
 */
export function judgeHonestSeeds(
  measurements: SeedNoiseMeasurements,
  policy: ReproductionPolicy,
): HonestSeedVerdict[] {
  return measurements.networks.flatMap((network) => {
    const grader = [...network.grader].sort((a, b) => a.seed - b.seed);
    const first = grader[0];
    if (!first) return [];
    const recheck = grader.slice(1);
    return network.student.map((run) => ({
      network: network.name,
      seed: run.seed,
      claimed: run.test_accuracy,
      judgement: judgeClaim(run.test_accuracy, first, recheck, policy),
    }));
  });
}
