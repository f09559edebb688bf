/**
 * The CfnOutput ids of the deployed stack: cdk/autograder-stack.ts declares its outputs with
 * these, and the staff commands read them with --stack. No imports, so the CDK app can use it.
 */
export const STACK_OUTPUTS = {
  submissionsBucket: 'SubmissionsBucketName',
  uploadPrefix: 'UploadPrefix',
  resultsBucket: 'ResultsBucketName',
  resultsPrefix: 'ResultsPrefix',
  jobQueueArn: 'JobQueueArn',
  jobDefinitionArn: 'JobDefinitionArn',
  stateTable: 'SubmissionTableName',
  cpuJobQueueArn: 'CpuJobQueueArn',
  cpuJobDefinitionArn: 'CpuJobDefinitionArn',
  cpuMaxTrainingMacs: 'CpuMaxTrainingMacs',
} as const;

/** The outputs only a stack with the CPU route has. */
export const CPU_ROUTE_OUTPUTS: readonly string[] = [
  STACK_OUTPUTS.cpuJobQueueArn,
  STACK_OUTPUTS.cpuJobDefinitionArn,
  STACK_OUTPUTS.cpuMaxTrainingMacs,
];
