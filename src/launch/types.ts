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
  /**
   * Settles with the job's exit code once it ends, for launchers that run jobs on this
   * machine; Batch jobs end elsewhere, and EventBridge reports them.
   */
  finished?: Promise<number>;
}

/** The job launcher port: AWS Batch in the cloud, Docker on a GPU workstation, in-process locally. */
export interface JobLauncher {
  launch(request: GradeJobRequest): Promise<LaunchedJob>;
}
