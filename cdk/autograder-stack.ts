import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CfnOutput,
  Duration,
  IgnoreMode,
  RemovalPolicy,
  Size,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { S3EventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type AutograderSettings, SettingsError } from './settings.js';
import { StudentService } from './student-service.js';

/** Object prefixes: the contract between students, staff, the Lambdas and the grader. */
export const PREFIXES = {
  submissions: 'submissions/',
  results: 'results/',
  claims: 'claims/',
} as const;

export const LAMBDA_ENV = {
  submissionsBucket: 'AUTOGRADER_SUBMISSIONS_BUCKET',
  resultsBucket: 'AUTOGRADER_RESULTS_BUCKET',
  jobQueue: 'AUTOGRADER_JOB_QUEUE',
  jobDefinition: 'AUTOGRADER_JOB_DEFINITION',
} as const;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AutograderStackProps extends StackProps {
  settings: AutograderSettings;
}

/**
 * The course's grading deployment: students upload to the submissions bucket, on-submission
 * validates and starts one Batch job on a GPU instance, the job writes the result, and
 * on-job-failed writes one for a job that failed for good.
 */
export class AutograderStack extends Stack {
  constructor(scope: Construct, id: string, props: AutograderStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const logRetention = retentionDays(settings.logRetentionDays);

    // --- Storage ---
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });
    const bucketDefaults = (logPrefix: string): s3.BucketProps => ({
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: logPrefix,
      // Course records: a stack deletion must not take students' work with it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const submissions = new s3.Bucket(this, 'Submissions', {
      ...bucketDefaults('submissions-bucket/'),
      lifecycleRules: [
        {
          id: 'expire-replaced-submissions',
          noncurrentVersionExpiration: Duration.days(settings.noncurrentVersionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    const results = new s3.Bucket(this, 'Results', {
      ...bucketDefaults('results-bucket/'),
      lifecycleRules: [
        {
          id: 'expire-replaced-results',
          noncurrentVersionExpiration: Duration.days(settings.noncurrentVersionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        {
          // A claim only has to outlive S3's redelivery of the event it deduplicates.
          id: 'expire-claims',
          prefix: PREFIXES.claims,
          expiration: Duration.days(30),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });

    // --- Network for the GPU instances: public subnets, no NAT gateway to pay for ---
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', {
              retention: logRetention,
              removalPolicy: RemovalPolicy.DESTROY,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // Instances only make outbound calls (ECR, S3, CloudWatch); nothing may connect in.
    const graderSecurityGroup = new ec2.SecurityGroup(this, 'GraderSecurityGroup', {
      vpc,
      description: 'Grader instances: outbound only',
      allowAllOutbound: true,
    });

    // --- Batch: GPU compute, queue, job definition ---
    const computeEnvironment = new batch.ManagedEc2EcsComputeEnvironment(this, 'GpuCompute', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [graderSecurityGroup],
      instanceTypes: settings.instanceTypes.map((type) => new ec2.InstanceType(type)),
      useOptimalInstanceClasses: false,
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }],
      spot: settings.spot,
      allocationStrategy: settings.spot
        ? batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED
        : batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
      minvCpus: 0,
      maxvCpus: settings.maxVcpus,
      updateToLatestImageVersion: true,
    });
    // A job that can never be placed would wait in RUNNABLE for ever and its student would get
    // no result. Cancelling it fails the job, and on-job-failed writes the result that says why.
    const stuck = (reason: batch.JobStateTimeLimitActionsReason, maxTime: Duration) => ({
      action: batch.JobStateTimeLimitActionsAction.CANCEL,
      state: batch.JobStateTimeLimitActionsState.RUNNABLE,
      reason,
      maxTime,
    });
    const jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [{ computeEnvironment, order: 1 }],
      jobStateTimeLimitActions: [
        // GPU capacity can come back: wait hours before giving up.
        stuck(
          batch.JobStateTimeLimitActionsReason.INSUFFICIENT_INSTANCE_CAPACITY,
          Duration.hours(4),
        ),
        // A job that does not fit the compute environment never will.
        stuck(
          batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
          Duration.minutes(10),
        ),
        stuck(batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT, Duration.minutes(10)),
      ],
    });

    const graderImage = ecs.ContainerImage.fromAsset(repoRoot, {
      file: 'grader-image/Dockerfile',
      // The build context is the repository; the same ignore list serves `docker build`.
      exclude: dockerIgnore(),
      ignoreMode: IgnoreMode.DOCKER,
    });
    const jobLogs = new logs.LogGroup(this, 'GraderLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const jobRole = new iam.Role(this, 'GraderJobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'The grading container: reads submissions, writes results',
    });
    const graderContainer = new batch.EcsEc2ContainerDefinition(this, 'GraderContainer', {
      image: graderImage,
      cpu: settings.jobVcpus,
      memory: Size.mebibytes(settings.jobMemoryMiB),
      gpu: 1,
      jobRole,
      logging: ecs.LogDriver.awsLogs({ streamPrefix: 'grader', logGroup: jobLogs }),
    });
    const jobDefinition = new batch.EcsJobDefinition(this, 'GraderJob', {
      container: graderContainer,
      timeout: Duration.minutes(settings.jobTimeoutMinutes),
      retryAttempts: settings.jobAttempts,
      retryStrategies: [
        // Only a lost host (spot reclaim, instance failure) is worth another attempt; a model
        // that crashes or times out would do the same again.
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onStatusReason: '*' })),
      ],
    });

    // --- Lambdas ---
    const onSubmissionDlq = deadLetterQueue(this, 'OnSubmissionFailures');
    const onJobFailedDlq = deadLetterQueue(this, 'OnJobFailedFailures');
    const onSubmission = this.lambda('OnSubmission', 'on-submission', logRetention, {
      [LAMBDA_ENV.submissionsBucket]: submissions.bucketName,
      [LAMBDA_ENV.resultsBucket]: results.bucketName,
      [LAMBDA_ENV.jobQueue]: jobQueue.jobQueueArn,
      [LAMBDA_ENV.jobDefinition]: jobDefinition.jobDefinitionArn,
    });
    onSubmission.configureAsyncInvoke({
      onFailure: new SqsDestination(onSubmissionDlq),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    onSubmission.addEventSource(
      new S3EventSource(submissions, {
        events: [s3.EventType.OBJECT_CREATED],
        filters: [{ prefix: PREFIXES.submissions }],
      }),
    );

    const onJobFailed = this.lambda('OnJobFailed', 'on-job-failed', logRetention, {
      [LAMBDA_ENV.submissionsBucket]: submissions.bucketName,
      [LAMBDA_ENV.resultsBucket]: results.bucketName,
    });
    new events.Rule(this, 'JobFailedRule', {
      description: 'A grading job failed for good: write its result',
      eventPattern: {
        source: ['aws.batch'],
        detailType: ['Batch Job State Change'],
        detail: { status: ['FAILED'], jobQueue: [jobQueue.jobQueueArn] },
      },
      targets: [
        new targets.LambdaFunction(onJobFailed, {
          deadLetterQueue: onJobFailedDlq,
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    // --- Least-privilege access ---
    const readSubmissions = (grantee: iam.IGrantable) =>
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [submissions.arnForObjects(`${PREFIXES.submissions}*`)],
        }),
      );
    // Without ListBucket S3 answers 403 instead of 404 for a missing key.
    const listBucket = (grantee: iam.IGrantable, bucket: s3.IBucket) =>
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      );
    const objectAccess = (grantee: iam.IGrantable, actions: string[], prefix: string) =>
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions, resources: [results.arnForObjects(`${prefix}*`)] }),
      );

    readSubmissions(onSubmission);
    listBucket(onSubmission, submissions);
    listBucket(onSubmission, results);
    objectAccess(onSubmission, ['s3:PutObject'], PREFIXES.results);
    objectAccess(onSubmission, ['s3:PutObject', 's3:DeleteObject'], PREFIXES.claims);
    onSubmission.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['batch:SubmitJob'],
        resources: [jobQueue.jobQueueArn, jobDefinition.jobDefinitionArn],
      }),
    );

    listBucket(onJobFailed, results);
    objectAccess(onJobFailed, ['s3:GetObject', 's3:PutObject'], PREFIXES.results);
    readSubmissions(onJobFailed);
    listBucket(onJobFailed, submissions);

    readSubmissions(jobRole);
    listBucket(jobRole, results);
    objectAccess(jobRole, ['s3:GetObject', 's3:PutObject'], PREFIXES.results);

    // --- What students use: their page and API ---
    new StudentService(this, 'StudentService', {
      submissions,
      results,
      accessLogs,
      logRetention,
      makeFunction: (id, folder, environment) => this.lambda(id, folder, logRetention, environment),
    });

    // --- Outputs ---
    new CfnOutput(this, 'SubmissionsBucketName', {
      value: submissions.bucketName,
      description: 'Students upload here',
    });
    new CfnOutput(this, 'UploadPrefix', {
      value: PREFIXES.submissions,
      description: 'Upload as <prefix><student>/<name>.json',
    });
    new CfnOutput(this, 'ResultsBucketName', {
      value: results.bucketName,
      description: 'Result files appear here',
    });
    new CfnOutput(this, 'ResultsPrefix', {
      value: PREFIXES.results,
      description: 'Results at <prefix><student>/<name>.json',
    });
    new CfnOutput(this, 'JobQueueArn', { value: jobQueue.jobQueueArn });

    this.acknowledgeJustifiedFindings({
      submissions,
      results,
      functions: [onSubmission, onJobFailed],
      graderContainer,
      computeEnvironment,
    });
  }

  private lambda(
    id: string,
    folder: string,
    retention: logs.RetentionDays,
    environment: Record<string, string>,
  ): NodejsFunction {
    return new NodejsFunction(this, id, {
      entry: path.join(repoRoot, 'functions', folder, 'index.ts'),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(60),
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      logGroup: new logs.LogGroup(this, `${id}Logs`, {
        retention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // The tested SDK version ships with the function, not the runtime's.
        externalModules: [],
        // Some bundled CommonJS dependencies call require(); ESM output has none by default.
        banner:
          "import { createRequire as __autograderCreateRequire } from 'node:module'; const require = __autograderCreateRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    });
  }

  /** cdk-nag findings that are deliberate, each acknowledged where it arises, with its reason. */
  private acknowledgeJustifiedFindings(parts: {
    submissions: s3.Bucket;
    results: s3.Bucket;
    functions: NodejsFunction[];
    graderContainer: batch.EcsEc2ContainerDefinition;
    computeEnvironment: batch.ManagedEc2EcsComputeEnvironment;
  }): void {
    const arnOf = (bucket: s3.Bucket) =>
      `<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const prefixReason =
      'Object access ends in a prefix wildcard (submissions/*, results/*, claims/*): each role reaches only its prefixes of the course buckets, the least that lets it handle any student key.';
    Validations.of(this).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${arnOf(parts.submissions)}/${PREFIXES.submissions}*]`,
        reason: prefixReason,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${arnOf(parts.results)}/${PREFIXES.results}*]`,
        reason: prefixReason,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${arnOf(parts.results)}/${PREFIXES.claims}*]`,
        reason: prefixReason,
      },
      {
        // Also CDK's own bucket-notification helper, which the stack creates once at its root.
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'AWSLambdaBasicExecutionRole grants only CloudWatch Logs writes, which every Lambda needs; AWS maintains it.',
      },
    );
    for (const fn of parts.functions) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'The course pins nodejs22.x, the runtime the handlers are tested on; moving runtimes is a deliberate, tested change.',
      });
    }
    Validations.of(parts.graderContainer).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role needs ecr:GetAuthorizationToken, which has no resource-level permissions and must be granted on "*"; its other statements are scoped to the image repository and log group.',
    });
    Validations.of(parts.computeEnvironment).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      reason:
        'Batch instances run the ECS agent, which AWS documents as needing AmazonEC2ContainerServiceforEC2Role; AWS keeps it current with the agent.',
    });
  }
}

function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter destination of a Lambda; staff inspect it by hand.',
  });
  return queue;
}

/** Patterns from grader-image/Dockerfile.dockerignore, which BuildKit also reads. */
function dockerIgnore(): string[] {
  const file = path.join(repoRoot, 'grader-image', 'Dockerfile.dockerignore');
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const RETENTION_DAYS = new Set(
  Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number'),
);

function retentionDays(days: number): logs.RetentionDays {
  if (!RETENTION_DAYS.has(days)) {
    throw new SettingsError(
      `context autograder:logRetentionDays is ${days}; CloudWatch keeps logs for one of ${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')} days`,
    );
  }
  return days as logs.RetentionDays;
}
