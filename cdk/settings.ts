import type { Node } from 'constructs';
import { DEFAULT_RUBRIC } from '../src/rubric/default-rubric.js';
import { jobTimeLimitSeconds } from '../src/rubric/time-budget.js';

/**
 * The shortest Batch timeout that lets the grader finish on its own: every experiment the rubric
 * allows using its whole training time, plus the job's overhead (docs/budgets.md).
 */
export const MIN_JOB_TIMEOUT_MINUTES = Math.ceil(jobTimeLimitSeconds(DEFAULT_RUBRIC) / 60);

import type { GraderNetworkMode } from './network.js';

/**
 * What staff may tune at deploy time, as CDK context (`cdk deploy -c autograder:spot=true`, or
 * cdk.json's "context"). Every key, its default and its meaning is listed in docs/configuration.md
 * (a test keeps the two in step).
 */
export interface AutograderSettings {
  /** EC2 instance types for the GPU compute environment. */
  instanceTypes: string[];
  /** Spot capacity (cheaper; a reclaimed host is retried) instead of on-demand. */
  spot: boolean;
  /** The compute environment never runs more vCPUs than this: the cost ceiling. */
  maxVcpus: number;
  /** vCPUs and memory one grading job reserves; must fit the instance type. */
  jobVcpus: number;
  jobMemoryMiB: number;
  /**
   * A job attempt running longer is stopped and reported as timed out. At least
   * MIN_JOB_TIMEOUT_MINUTES, so Batch never stops a job the rubric's time limits would end.
   */
  jobTimeoutMinutes: number;
  /** Attempts in all, for jobs whose host was lost (spot reclaim). */
  jobAttempts: number;
  /** Days before replaced (noncurrent) object versions are deleted. */
  noncurrentVersionDays: number;
  /** Days of Lambda, Batch and VPC flow logs kept. */
  logRetentionDays: number;
  /** Deploy the CPU route (Fargate, wasm engine) for light submissions (docs/cpu-route.md). */
  cpuQueue: boolean;
  /** Submissions whose training work (multiply-accumulates) is below this go to the CPU route. */
  cpuMaxTrainingMacs: number;
  /** vCPUs and memory of one CPU-route job: a Fargate size (2 vCPUs take 4–16 GiB). */
  cpuJobVcpus: number;
  cpuJobMemoryMiB: number;
  /**
   * "public" (default): public subnets, no endpoints, nothing billed while idle; "private":
   * isolated subnets reaching AWS through VPC endpoints, billed per endpoint and AZ every hour
   * (docs/deploy.md#costs). See cdk/network.ts.
   */
  network: GraderNetworkMode;
  /** Where alarms are emailed; unset: subscribe to the alarm topic by hand. */
  alarmEmail?: string;
}

export const DEFAULT_SETTINGS: AutograderSettings = {
  instanceTypes: ['g4dn.xlarge'],
  spot: false,
  maxVcpus: 16,
  jobVcpus: 4,
  jobMemoryMiB: 14_336,
  jobTimeoutMinutes: MIN_JOB_TIMEOUT_MINUTES,
  jobAttempts: 3,
  noncurrentVersionDays: 90,
  logRetentionDays: 30,
  cpuQueue: false,
  // About where a CPU job's time to result meets a cold GPU instance's: 6 minutes of training at
  // the slowest wasm rate measured for a course network (docs/cpu-route.md has the arithmetic).
  cpuMaxTrainingMacs: 1.5e12,
  // The wasm engine trains on one thread per two vCPUs; the second absorbs Node's own work.
  cpuJobVcpus: 2,
  cpuJobMemoryMiB: 4096,
  network: 'public',
};

export const CONTEXT_PREFIX = 'autograder:';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Reads the settings from context; values given on the command line arrive as strings. */
export function readSettings(node: Pick<Node, 'tryGetContext'>): AutograderSettings {
  const raw = (name: keyof AutograderSettings): unknown =>
    node.tryGetContext(`${CONTEXT_PREFIX}${name}`);
  const integer = (name: keyof AutograderSettings, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) return DEFAULT_SETTINGS[name] as number;
    const number = typeof value === 'string' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      throw new SettingsError(
        `context ${CONTEXT_PREFIX}${name} is ${JSON.stringify(value)}; expected an integer from ${min} to ${max}`,
      );
    }
    return number;
  };
  const flag = (name: 'spot' | 'cpuQueue'): boolean => {
    const value = raw(name);
    if (value === undefined) return DEFAULT_SETTINGS[name];
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new SettingsError(
      `context ${CONTEXT_PREFIX}${name} is ${JSON.stringify(value)}; expected true or false`,
    );
  };
  const spot = flag('spot');
  const typesValue = raw('instanceTypes');
  let instanceTypes = DEFAULT_SETTINGS.instanceTypes;
  if (typesValue !== undefined) {
    const list =
      typeof typesValue === 'string'
        ? typesValue.split(',').map((type) => type.trim())
        : Array.isArray(typesValue)
          ? typesValue
          : [];
    if (
      list.length === 0 ||
      !list.every((type) => typeof type === 'string' && /^[a-z0-9-]+\.[a-z0-9-]+$/.test(type))
    ) {
      throw new SettingsError(
        `context ${CONTEXT_PREFIX}instanceTypes is ${JSON.stringify(typesValue)}; expected instance types such as "g4dn.xlarge,g4dn.2xlarge"`,
      );
    }
    instanceTypes = list as string[];
  }
  const networkValue = raw('network');
  if (networkValue !== undefined && networkValue !== 'private' && networkValue !== 'public') {
    throw new SettingsError(
      `context ${CONTEXT_PREFIX}network is ${JSON.stringify(networkValue)}; expected "private" or "public"`,
    );
  }
  const emailValue = raw('alarmEmail');
  if (
    emailValue !== undefined &&
    (typeof emailValue !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(emailValue))
  ) {
    throw new SettingsError(
      `context ${CONTEXT_PREFIX}alarmEmail is ${JSON.stringify(emailValue)}; expected an email address`,
    );
  }
  return {
    instanceTypes,
    spot,
    network: networkValue ?? DEFAULT_SETTINGS.network,
    ...(emailValue ? { alarmEmail: emailValue } : {}),
    maxVcpus: integer('maxVcpus', 1, 10_000),
    jobVcpus: integer('jobVcpus', 1, 192),
    jobMemoryMiB: integer('jobMemoryMiB', 1024, 786_432),
    jobTimeoutMinutes: integer('jobTimeoutMinutes', MIN_JOB_TIMEOUT_MINUTES, 24 * 60),
    jobAttempts: integer('jobAttempts', 1, 10),
    noncurrentVersionDays: integer('noncurrentVersionDays', 1, 3650),
    logRetentionDays: integer('logRetentionDays', 1, 3653),
    cpuQueue: flag('cpuQueue'),
    cpuMaxTrainingMacs: integer('cpuMaxTrainingMacs', 1, Number.MAX_SAFE_INTEGER),
    cpuJobVcpus: fargateVcpus(integer('cpuJobVcpus', 1, 16)),
    cpuJobMemoryMiB: integer('cpuJobMemoryMiB', 2048, 122_880),
  };
}

/** Fargate sizes its tasks in 1, 2, 4, 8 or 16 vCPUs. */
function fargateVcpus(vcpus: number): number {
  if (![1, 2, 4, 8, 16].includes(vcpus)) {
    throw new SettingsError(
      `context ${CONTEXT_PREFIX}cpuJobVcpus is ${vcpus}; Fargate takes 1, 2, 4, 8 or 16 vCPUs`,
    );
  }
  return vcpus;
}
