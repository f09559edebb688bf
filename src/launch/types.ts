/** Where one grading job reads its submission and writes its result. */
export interface GradeJobRequest {
  submission: { bucket: string; key: string; versionId?: string };
  result: { bucket: string; key: string };
  /**
   * The submission's total training work in multiply-accumulates (the validator's MACs × 3 ×
   * training images × epochs, summed over experiments), when intake computed it: what a
   * launcher with two queues routes by. Not passed to the job.
   */
  trainingWork?: number;
  /** The submission record the job grades, so job-state handlers can find it. */
  record?: { student: string; id: string };
  /**
   * The same for every attempt at one submission: a launcher that finds a job of this name
   * answers with it instead of starting a second one.
   */
  jobName?: string;
  /** The scheduler's fair-share identifier (the student's). */
  shareIdentifier?: string;
}

/** Which of the Batch queues a job goes to. */
export type JobRoute = 'gpu' | 'cpu';

/** A job a launcher started. */
export interface LaunchedJob {
  /** Batch job id, container name, or in-process id. */
  id: string;
  launcher: 'batch' | 'docker' | 'in-process';
  /** The queue a Batch launcher with a CPU route chose. */
  route?: JobRoute;
  /** True when a job of the request's jobName already existed and no new one was started. */
  existing?: boolean;
  /**
   * Settles with the job's exit code once it ends, for launchers that run jobs on this
   * machine; Batch jobs end elsewhere, and EventBridge reports them.
   */
  finished?: Promise<number>;
}

/**
 * What a job scheduler says about a job: the fields of AWS Batch's DescribeJobs answer and of
 * EventBridge's "Batch Job State Change" detail that the lifecycle reads. Local launchers
 * report their jobs in the same shape.
 */
export interface JobDetail {
  jobId?: string;
  jobName?: string;
  /** SUBMITTED | PENDING | RUNNABLE | STARTING | RUNNING | SUCCEEDED | FAILED */
  status?: string;
  statusReason?: string;
  container?: {
    exitCode?: number;
    reason?: string;
    environment?: { name?: string; value?: string }[];
  };
  attempts?: { statusReason?: string; container?: { exitCode?: number; reason?: string } }[];
}

/** The job launcher port: AWS Batch in the cloud, Docker on a GPU workstation, in-process locally. */
export interface JobLauncher {
  launch(request: GradeJobRequest): Promise<LaunchedJob>;
  /** Cancels a job that has not started yet; a job already running runs on. */
  cancel?(jobId: string, reason: string): Promise<void>;
  /** What became of these jobs; a job the scheduler no longer knows is left out. */
  describe?(jobIds: string[]): Promise<JobDetail[]>;
}

/** Hears of a local job's state changes, as EventBridge hears of Batch's. */
export type JobStateListener = (detail: JobDetail) => Promise<void> | void;
