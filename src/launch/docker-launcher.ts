import { type ChildProcess, spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { LaunchError } from './errors.js';
import { jobEnvironment } from './job-environment.js';
import type { GradeJobRequest, JobLauncher, JobStateListener, LaunchedJob } from './types.js';

export type Spawn = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

export interface DockerLauncherOptions {
  /** The grader image, e.g. cifar10-autograder:latest built from grader-image/. */
  image: string;
  /** The value of --gpus; undefined runs without GPUs (tfjs-node-gpu then runs on the CPU). */
  gpus?: string;
  /** Extra variables for the container, e.g. AUTOGRADER_S3_ENDPOINT or AUTOGRADER_LIMIT_TRAIN. */
  env?: Record<string, string>;
  /**
   * Host variables passed through by name (docker's -e NAME), so credentials never appear in
   * the argv where `ps` would show them.
   */
  passEnv?: string[];
  /** --network, e.g. "host" so the container reaches an S3 server on the host's loopback. */
  network?: string;
  docker?: string;
  spawn?: Spawn;
  /** Names the container when the request has no jobName; random by default. */
  makeId?: () => string;
  /** Hears RUNNING, SUCCEEDED and FAILED as EventBridge hears them from Batch. */
  onStateChange?: JobStateListener;
}

/** The AWS settings a container needs to reach S3 with the host's credentials. */
export const AWS_PASSTHROUGH_ENV = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

/** Runs the grader image on this machine's GPUs: `docker run --rm --gpus all ... IMAGE`. */
export class DockerLauncher implements JobLauncher {
  private readonly spawn: Spawn;
  private readonly makeId: () => string;

  constructor(private readonly options: DockerLauncherOptions) {
    this.spawn = options.spawn ?? nodeSpawn;
    this.makeId = options.makeId ?? (() => `autograder-${randomBytes(6).toString('hex')}`);
  }

  /** The docker argv for one job; the job's variables are values, passthroughs are names. */
  dockerArgs(request: GradeJobRequest, name: string): string[] {
    const { image, gpus, env = {}, passEnv = AWS_PASSTHROUGH_ENV, network } = this.options;
    const args = ['run', '--rm', '--name', name];
    if (gpus !== undefined) args.push('--gpus', gpus);
    if (network !== undefined) args.push('--network', network);
    for (const [key, value] of Object.entries({ ...env, ...jobEnvironment(request) })) {
      args.push('--env', `${key}=${value}`);
    }
    for (const key of passEnv) args.push('--env', key);
    args.push(image);
    return args;
  }

  async launch(request: GradeJobRequest): Promise<LaunchedJob> {
    const id = request.jobName ?? this.makeId();
    const docker = this.options.docker ?? 'docker';
    const child = this.spawn(docker, this.dockerArgs(request, id), { stdio: 'inherit' });
    // Listeners go on before the first await so no event is missed. `finished` never rejects:
    // a docker that cannot start fails the launch itself, below.
    const environment = Object.entries(jobEnvironment(request)).map(([name, value]) => ({
      name,
      value,
    }));
    const report = async (status: string, exitCode?: number) => {
      await this.options.onStateChange?.({
        jobId: id,
        jobName: id,
        status,
        ...(exitCode !== undefined && exitCode !== 0
          ? { statusReason: `exit code ${exitCode}` }
          : {}),
        container: { environment, ...(exitCode !== undefined ? { exitCode } : {}) },
      });
    };
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      child.once('error', () => resolve(1));
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) =>
        reject(new LaunchError(`cannot run ${docker}: ${error.message}`, { cause: error })),
      );
    });
    // `finished` never rejects: a listener that fails is the listener's problem, not the job's.
    const finished = report('RUNNING')
      .catch(() => {})
      .then(() => exited)
      .then(async (code) => {
        await report(code === 0 ? 'SUCCEEDED' : 'FAILED', code).catch(() => {});
        return code;
      });
    return { id, launcher: 'docker', finished };
  }
}
