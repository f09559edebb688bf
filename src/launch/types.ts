/** Where one grading job reads its submission and writes its result. */
export interface GradeJobRequest {
  submission: { bucket: string; key: string; versionId?: string };
  result: { bucket: string; key: string };
}

/** A job a launcher started. */
export interface LaunchedJob {
  /** Batch job id, container name, or in-process id. */
  id: string;
  launcher: 'batch' | 'docker' | 'in-process';
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
