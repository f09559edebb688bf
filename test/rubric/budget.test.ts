import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MIN_JOB_TIMEOUT_MINUTES } from '../../cdk/settings.js';
import { DEFAULT_RUBRIC, jobTimeLimitSeconds, maxTrainingRuns } from '../../src/rubric/index.js';
import { TRAINING_MACS_PER_FORWARD_MAC } from '../../src/spec/index.js';

/**
 * The production GPU (the CDK stack's default instance type) and the figures the budget is
 * planned with; docs/budgets.md gives their sources. The rate is a planning assumption (an
 * eighth of the T4's fp32 peak), not a measurement: it must be re-checked on the instance.
 */
const GPUS: Record<string, { name: string; memoryBytes: number; peakFlops: number }> = {
  'g4dn.xlarge': { name: 'NVIDIA T4', memoryBytes: 16 * 2 ** 30, peakFlops: 8.1e12 },
};
const PLANNED_FRACTION_OF_PEAK = 1 / 8;
/** CUDA context, cuDNN workspace and allocator slack, taken generously. */
const GPU_RESERVED_BYTES = 6 * 2 ** 30;
/** TensorFlow's allocator may hold up to twice the live peak through fragmentation. */
const ALLOCATOR_SLACK = 2;

describe('the rubric budget against the production GPU', () => {
  const [instanceType] = DEFAULT_SETTINGS.instanceTypes;
  const gpu = GPUS[instanceType ?? ''];

  it('knows the default instance type', () => {
    expect(gpu, `no GPU figures for ${instanceType}`).toBeDefined();
  });

  it('fits the largest allowed training step in GPU memory', () => {
    // Prepare
    const step = DEFAULT_RUBRIC.limits.max_step_memory_bytes;
    // Assess
    expect(ALLOCATOR_SLACK * step + GPU_RESERVED_BYTES).toBeLessThanOrEqual(gpu?.memoryBytes ?? 0);
  });

  it('trains the largest allowed submission within one experiment time limit at the planned rate', () => {
    // Prepare: 2 FLOP per multiply-accumulate.
    const macsPerSecond = ((gpu?.peakFlops ?? 0) * PLANNED_FRACTION_OF_PEAK) / 2;
    // Act
    const seconds = DEFAULT_RUBRIC.limits.max_training_macs / macsPerSecond;
    // Assess: even if one experiment holds the submission's whole training work.
    expect(seconds).toBeLessThanOrEqual(DEFAULT_RUBRIC.training.time_limit_seconds_per_experiment);
    expect(TRAINING_MACS_PER_FORWARD_MAC).toBe(3);
  });

  it('lets every experiment and every re-check run use its whole time limit before Batch stops the job', () => {
    // Prepare
    const { time_limit_seconds_per_experiment: perExperiment, job_overhead_seconds: overhead } =
      DEFAULT_RUBRIC.training;
    const claimRuns =
      DEFAULT_RUBRIC.tasks.find((t) => t.number === '4.1')?.reproduction?.recheck_runs ?? 0;
    const finalRuns =
      DEFAULT_RUBRIC.tasks.find((t) => t.number === '3.3')?.recheck?.recheck_runs ?? 0;
    // Act
    const needed = jobTimeLimitSeconds(DEFAULT_RUBRIC);
    // Assess: each experiment's claim may be re-checked, the final network by the larger policy.
    const runs =
      DEFAULT_RUBRIC.limits.max_experiments * (1 + claimRuns) + Math.max(0, finalRuns - claimRuns);
    expect(maxTrainingRuns(DEFAULT_RUBRIC)).toBe(runs);
    expect(needed).toBe(runs * perExperiment + overhead);
    expect(DEFAULT_SETTINGS.jobTimeoutMinutes).toBe(MIN_JOB_TIMEOUT_MINUTES);
    expect(DEFAULT_SETTINGS.jobTimeoutMinutes * 60).toBeGreaterThanOrEqual(needed);
  });
});
