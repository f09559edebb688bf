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
  cpuJobQueueArn: 'CpuJobQueueArn',
} as const;
