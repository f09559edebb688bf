import { Duration, IgnoreMode, Size, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AutograderSettings } from './settings.js';

export interface CpuRouteProps {
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  /** The grading container's role, shared with the GPU route: same buckets, same rights. */
  /** The grader network's subnets (cdk/network.ts): isolated with endpoints, or public. */
  subnets: ec2.SubnetSelection;
  /** Public subnets have no NAT gateway, so a task there needs a public address to reach AWS. */
  assignPublicIp: boolean;
  jobRole: iam.IRole;
  logGroup: logs.ILogGroup;
  /** The repository root: the image's build context. */
  repoRoot: string;
  /** The build context's ignore patterns (grader-image/Dockerfile.cpu.dockerignore). */
  exclude: string[];
  settings: AutograderSettings;
}

/**
 * The CPU route (context autograder:cpuQueue=true): a Fargate compute environment, its queue and
 * a job definition running grader-image/Dockerfile.cpu (the wasm engine, no CUDA). Light
 * submissions start in a minute here instead of waiting for a GPU instance to boot and pull the
 * CUDA image; on-submission chooses the route by each submission's training work.
 */
export class CpuRoute extends Construct {
  readonly jobQueue: batch.JobQueue;
  readonly jobDefinition: batch.EcsJobDefinition;
  readonly container: batch.EcsFargateContainerDefinition;

  constructor(scope: Construct, id: string, props: CpuRouteProps) {
    super(scope, id);
    const { settings } = props;
    const computeEnvironment = new batch.FargateComputeEnvironment(this, 'FargateCompute', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      spot: settings.spot,
      maxvCpus: settings.maxVcpus,
    });
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [{ computeEnvironment, order: 1 }],
      jobStateTimeLimitActions: [
        {
          // A job Fargate cannot place (a size it does not offer) never will be.
          action: batch.JobStateTimeLimitActionsAction.CANCEL,
          state: batch.JobStateTimeLimitActionsState.RUNNABLE,
          reason: batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
          maxTime: Duration.minutes(10),
        },
      ],
    });
    const image = ecs.ContainerImage.fromAsset(props.repoRoot, {
      file: 'grader-image/Dockerfile.cpu',
      exclude: props.exclude,
      ignoreMode: IgnoreMode.DOCKER,
      // The same engine builds as the GPU image, whatever machine deploys.
      platform: Platform.LINUX_AMD64,
    });
    this.container = new batch.EcsFargateContainerDefinition(this, 'Container', {
      image,
      cpu: settings.cpuJobVcpus,
      memory: Size.mebibytes(settings.cpuJobMemoryMiB),
      assignPublicIp: props.assignPublicIp,
      fargatePlatformVersion: ecs.FargatePlatformVersion.LATEST,
      fargateCpuArchitecture: ecs.CpuArchitecture.X86_64,
      fargateOperatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      jobRole: props.jobRole,
      logging: ecs.LogDriver.awsLogs({ streamPrefix: 'grader-cpu', logGroup: props.logGroup }),
    });
    this.jobDefinition = new batch.EcsJobDefinition(this, 'Job', {
      container: this.container,
      timeout: Duration.minutes(settings.jobTimeoutMinutes),
      retryAttempts: settings.jobAttempts,
      retryStrategies: [
        // As on the GPU route: only a lost host (Fargate Spot reclaim) is worth another attempt.
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onStatusReason: '*' })),
      ],
    });
    Validations.of(this.container).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role needs ecr:GetAuthorizationToken, which has no resource-level permissions and must be granted on "*"; its other statements are scoped to the image repository and log group.',
    });
  }
}
