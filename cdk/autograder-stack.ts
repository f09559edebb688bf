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
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
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
import { PIPELINE_ENV } from '../src/config.js';
import { RESULTS_PREFIX, SUBMISSIONS_PREFIX } from '../src/pipeline/keys.js';
import { STACK_OUTPUTS } from '../src/staff/stack-outputs.js';
import { CpuRoute } from './cpu-route.js';
import { SubmissionRecords, scheduleSweeper } from './lifecycle.js';
import { Monitoring } from './monitoring.js';
import { GraderNetwork } from './network.js';
import { type AutograderSettings, SettingsError } from './settings.js';
import { StudentService } from './student-service.js';

/**
 * Object prefixes: the contract between students, staff, the Lambdas and the grader, defined
 * once by the runtime (src/pipeline/keys.ts) and used here for events and IAM.
 */
export const PREFIXES = {
  submissions: SUBMISSIONS_PREFIX,
  results: RESULTS_PREFIX,
} as const;

/** Every function's timeout; intake's lease lasts as long, so only a dead claimer's expires. */
const LAMBDA_TIMEOUT = Duration.seconds(60);

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
      ],
    });

    // --- Network for the GPU instances (public by default; see cdk/network.ts) ---
    const network = new GraderNetwork(this, 'Network', {
      mode: settings.network,
      logRetention,
    });

    // --- Batch: GPU compute, queue, job definition ---
    const computeEnvironment = new batch.ManagedEc2EcsComputeEnvironment(this, 'GpuCompute', {
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      securityGroups: [network.securityGroup],
      launchTemplate: network.launchTemplate,
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
    // Each student is a share (shareIdentifierFor in src/state): a student with many jobs waits
    // behind students with few, instead of first-come first-served.
    const fairShare = new batch.FairshareSchedulingPolicy(this, 'FairShare', {
      shareDecay: Duration.hours(1),
    });
    const jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [{ computeEnvironment, order: 1 }],
      schedulingPolicy: fairShare,
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
      exclude: dockerIgnore('Dockerfile.dockerignore'),
      ignoreMode: IgnoreMode.DOCKER,
      // Batch's GPU instances are x86-64 and tfjs-node-gpu has no arm64 build: never build for
      // the deploying machine's architecture (an Apple Silicon laptop's is arm64).
      platform: Platform.LINUX_AMD64,
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

    // --- The CPU route for light submissions (off unless asked for) ---
    const cpuRoute = settings.cpuQueue
      ? new CpuRoute(this, 'CpuRoute', {
          vpc: network.vpc,
          subnets: network.subnets,
          assignPublicIp: settings.network === 'public',
          securityGroup: network.securityGroup,
          jobRole,
          logGroup: jobLogs,
          repoRoot,
          exclude: dockerIgnore('Dockerfile.cpu.dockerignore'),
          settings,
        })
      : undefined;
    const queues = [jobQueue, ...(cpuRoute ? [cpuRoute.jobQueue] : [])];

    // --- Lambdas and the submission records ---
    const records = new SubmissionRecords(this, 'SubmissionRecords');
    const sweepAfterMinutes = settings.jobTimeoutMinutes * settings.jobAttempts + 15;
    const common = {
      [PIPELINE_ENV.submissionsBucket]: submissions.bucketName,
      [PIPELINE_ENV.resultsBucket]: results.bucketName,
      [PIPELINE_ENV.stateTable]: records.table.tableName,
    };
    const batchTargets = {
      [PIPELINE_ENV.jobQueue]: jobQueue.jobQueueArn,
      [PIPELINE_ENV.jobDefinition]: jobDefinition.jobDefinitionArn,
      ...(cpuRoute
        ? {
            [PIPELINE_ENV.cpuJobQueue]: cpuRoute.jobQueue.jobQueueArn,
            [PIPELINE_ENV.cpuJobDefinition]: cpuRoute.jobDefinition.jobDefinitionArn,
            [PIPELINE_ENV.cpuMaxTrainingMacs]: String(settings.cpuMaxTrainingMacs),
          }
        : {}),
    };
    const onSubmissionDlq = deadLetterQueue(this, 'OnSubmissionFailures');
    const onJobStateDlq = deadLetterQueue(this, 'OnJobStateFailures');
    const onJobStateDeliveryDlq = deadLetterQueue(this, 'OnJobStateDeliveryFailures');
    const sweeperDlq = deadLetterQueue(this, 'SweeperFailures');
    const onSubmission = this.lambda('OnSubmission', 'on-submission', logRetention, {
      ...common,
      ...batchTargets,
      [PIPELINE_ENV.leaseSeconds]: String(LAMBDA_TIMEOUT.toSeconds()),
    });
    onSubmission.addEventSource(
      new S3EventSource(submissions, {
        events: [s3.EventType.OBJECT_CREATED],
        filters: [{ prefix: PREFIXES.submissions }],
      }),
    );
    const onJobState = this.lambda('OnJobState', 'on-job-state', logRetention, common);
    const sweeper = this.lambda('Sweeper', 'sweeper', logRetention, {
      ...common,
      ...batchTargets,
      [PIPELINE_ENV.leaseSeconds]: String(LAMBDA_TIMEOUT.toSeconds()),
      [PIPELINE_ENV.sweepAfterMinutes]: String(sweepAfterMinutes),
    });
    // Every asynchronously invoked function keeps what it could not handle: an error inside
    // the function (not only a failed delivery) ends in its queue after Lambda's retries.
    for (const [fn, queue] of [
      [onSubmission, onSubmissionDlq],
      [onJobState, onJobStateDlq],
      [sweeper, sweeperDlq],
    ] as const) {
      fn.configureAsyncInvoke({
        onFailure: new SqsDestination(queue),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      });
    }
    const jobEvents = (statuses: string[]) => ({
      source: ['aws.batch'],
      detailType: ['Batch Job State Change'],
      detail: { status: statuses, jobQueue: queues.map((queue) => queue.jobQueueArn) },
    });
    const jobStateTarget = new targets.LambdaFunction(onJobState, {
      deadLetterQueue: onJobStateDeliveryDlq,
      retryAttempts: 8,
      maxEventAge: Duration.hours(24),
    });
    const jobFailedRule = new events.Rule(this, 'JobFailedRule', {
      description: 'A grading job failed for good: write its result',
      eventPattern: jobEvents(['FAILED']),
      targets: [jobStateTarget],
    });
    new events.Rule(this, 'JobProgressRule', {
      description: 'A grading job started or finished: keep its submission record in step',
      eventPattern: jobEvents(['RUNNING', 'SUCCEEDED']),
      targets: [jobStateTarget],
    });
    scheduleSweeper(this, sweeper, Duration.minutes(15));

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
    const resultAccess = (grantee: iam.IGrantable, actions: string[]) =>
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions,
          resources: [results.arnForObjects(`${PREFIXES.results}*`)],
        }),
      );
    const batchJobs = this.formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
    const startJobs = (grantee: iam.IGrantable) => {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['batch:SubmitJob'],
          resources: [
            jobQueue.jobQueueArn,
            jobDefinition.jobDefinitionArn,
            ...(cpuRoute
              ? [cpuRoute.jobQueue.jobQueueArn, cpuRoute.jobDefinition.jobDefinitionArn]
              : []),
          ],
        }),
      );
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['batch:CancelJob'], resources: [batchJobs] }),
      );
      // ListJobs (the job-name check before SubmitJob) and DescribeJobs (the sweeper) have no
      // resource-level permissions.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['batch:ListJobs', 'batch:DescribeJobs'],
          resources: ['*'],
        }),
      );
    };

    for (const fn of [onSubmission, sweeper]) {
      readSubmissions(fn);
      listBucket(fn, submissions);
      listBucket(fn, results);
      resultAccess(fn, ['s3:GetObject', 's3:PutObject']);
      startJobs(fn);
      records.table.grantReadWriteData(fn);
    }
    readSubmissions(onJobState);
    listBucket(onJobState, submissions);
    listBucket(onJobState, results);
    resultAccess(onJobState, ['s3:GetObject', 's3:PutObject']);
    records.table.grantReadWriteData(onJobState);

    // The grading container reads its submission and writes its result: nothing else, not
    // even a listing or another student's result.
    readSubmissions(jobRole);
    resultAccess(jobRole, ['s3:PutObject']);

    const monitoring = new Monitoring(this, 'Monitoring', {
      functions: { OnSubmission: onSubmission, OnJobState: onJobState, Sweeper: sweeper },
      failureQueues: {
        OnSubmissionFailures: onSubmissionDlq,
        OnJobStateFailures: onJobStateDlq,
        OnJobStateDeliveryFailures: onJobStateDeliveryDlq,
        SweeperFailures: sweeperDlq,
      },
      jobFailedRule,
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
      maxWaitMinutes: 6 * 60,
    });

    // --- What students use: their page and API ---
    new StudentService(this, 'StudentService', {
      submissions,
      results,
      accessLogs,
      submissionsTable: records.table,
      logRetention,
      makeFunction: (id, folder, environment, timeout) =>
        this.lambda(id, folder, logRetention, environment, timeout),
    });

    // --- Outputs ---
    new CfnOutput(this, STACK_OUTPUTS.submissionsBucket, {
      value: submissions.bucketName,
      description: 'Students upload here',
    });
    new CfnOutput(this, STACK_OUTPUTS.uploadPrefix, {
      value: PREFIXES.submissions,
      description: 'Upload as <prefix><student>/<name>.json',
    });
    new CfnOutput(this, STACK_OUTPUTS.resultsBucket, {
      value: results.bucketName,
      description: 'Result files appear here',
    });
    new CfnOutput(this, STACK_OUTPUTS.resultsPrefix, {
      value: PREFIXES.results,
      description: 'Results at <prefix><student>/<name>.json',
    });
    new CfnOutput(this, STACK_OUTPUTS.jobQueueArn, { value: jobQueue.jobQueueArn });
    new CfnOutput(this, STACK_OUTPUTS.jobDefinitionArn, {
      value: jobDefinition.jobDefinitionArn,
      description: 'autograder regrade --stack submits jobs with it',
    });
    if (cpuRoute) {
      new CfnOutput(this, STACK_OUTPUTS.cpuJobQueueArn, {
        value: cpuRoute.jobQueue.jobQueueArn,
        description: 'Light submissions are graded here (wasm engine on Fargate)',
      });
      new CfnOutput(this, STACK_OUTPUTS.cpuJobDefinitionArn, {
        value: cpuRoute.jobDefinition.jobDefinitionArn,
        description:
          'The CPU route job definition (autograder regrade --stack routes as intake does)',
      });
      new CfnOutput(this, STACK_OUTPUTS.cpuMaxTrainingMacs, {
        value: String(settings.cpuMaxTrainingMacs),
        description: 'Submissions with less training work than this go to the CPU route',
      });
    }
    new CfnOutput(this, STACK_OUTPUTS.stateTable, {
      value: records.table.tableName,
      description: 'One record per upload: status, job id, result key',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: monitoring.topic.topicArn,
      description:
        'Subscribe staff to the alarms here (or deploy with -c autograder:alarmEmail=...)',
    });

    this.acknowledgeJustifiedFindings({
      submissions,
      results,
      functions: [onSubmission, onJobState, sweeper],
      table: records.table,
      graderContainer,
      computeEnvironment,
    });
  }

  private lambda(
    id: string,
    folder: string,
    retention: logs.RetentionDays,
    environment: Record<string, string>,
    timeout: Duration = LAMBDA_TIMEOUT,
  ): NodejsFunction {
    return new NodejsFunction(this, id, {
      entry: path.join(repoRoot, 'functions', folder, 'index.ts'),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout,
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
    table: dynamodb.Table;
    graderContainer: batch.EcsEc2ContainerDefinition;
    computeEnvironment: batch.ManagedEc2EcsComputeEnvironment;
  }): void {
    const arnOf = (bucket: s3.Bucket) =>
      `<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const prefixReason =
      'Object access ends in a prefix wildcard (submissions/*, results/*): each role reaches only its prefixes of the course buckets, the least that lets it handle any student key.';
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
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(parts.table.node.defaultChild as dynamodb.CfnTable)}.Arn>/index/*]`,
        reason:
          "The functions query the submission table's one index (open-status, the sweeper's list of unfinished records); index/* on this one table names exactly its indexes.",
      },
      {
        // Also CDK's own bucket-notification helper, which the stack creates once at its root.
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'AWSLambdaBasicExecutionRole grants only CloudWatch Logs writes, which every Lambda needs; AWS maintains it.',
      },
    );
    for (const fn of parts.functions) {
      Validations.of(fn).acknowledge(
        {
          id: 'AwsSolutions-L1',
          reason:
            'The course pins nodejs22.x, the runtime the handlers are tested on; moving runtimes is a deliberate, tested change.',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'batch:ListJobs and batch:DescribeJobs support no resource-level permissions, so they are granted on "*"; both only read job metadata. All other statements name their resources.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*]`,
          reason:
            "batch:CancelJob acts on job ids that exist only at run time (a superseded submission's job), so it is granted on this account's jobs in this region.",
        },
      );
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

/** Patterns from a grader-image/<Dockerfile>.dockerignore, which BuildKit also reads. */
function dockerIgnore(name: string): string[] {
  const file = path.join(repoRoot, 'grader-image', name);
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
