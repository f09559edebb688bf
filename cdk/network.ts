import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * - public (default): public subnets and no endpoints: nothing is billed while no job runs. The
 *   grader runs no student code (a submission is a declarative spec), and security groups refuse
 *   every inbound connection.
 * - private: isolated subnets with no route to the internet; the instances reach S3
 *   through a gateway endpoint and ECR, CloudWatch Logs, ECS and Batch through interface
 *   endpoints, each billed per hour and AZ whether or not anything runs.
 */
export type GraderNetworkMode = 'private' | 'public';

export interface GraderNetworkProps {
  mode: GraderNetworkMode;
  logRetention: logs.RetentionDays;
}

/** Interface endpoints a Batch ECS instance needs to pull the image, log and run the agent. */
const INTERFACE_ENDPOINTS: [string, ec2.InterfaceVpcEndpointAwsService][] = [
  ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
  ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['Ecs', ec2.InterfaceVpcEndpointAwsService.ECS],
  ['EcsAgent', ec2.InterfaceVpcEndpointAwsService.ECS_AGENT],
  ['EcsTelemetry', ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY],
  ['Batch', ec2.InterfaceVpcEndpointAwsService.BATCH],
];

/** Where the grading instances run, and how they are locked down. */
export class GraderNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.SecurityGroup;
  /** IMDSv2 only, one hop: the host's agent reaches instance metadata, containers do not. */
  readonly launchTemplate: ec2.LaunchTemplate;

  constructor(scope: Construct, id: string, props: GraderNetworkProps) {
    super(scope, id);
    const isPrivate = props.mode === 'private';
    const subnetType = isPrivate ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PUBLIC;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: isPrivate ? 'isolated' : 'public', subnetType, cidrMask: 20 }],
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', {
              retention: props.logRetention,
              removalPolicy: RemovalPolicy.DESTROY,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    this.subnets = { subnetType };
    // Instances only make outbound calls (ECR, S3, CloudWatch); nothing may connect in.
    this.securityGroup = new ec2.SecurityGroup(this, 'GraderSecurityGroup', {
      vpc: this.vpc,
      description: 'Grader instances: outbound only',
      allowAllOutbound: true,
    });
    if (isPrivate) {
      this.vpc.addGatewayEndpoint('S3', {
        service: ec2.GatewayVpcEndpointAwsService.S3,
        subnets: [this.subnets],
      });
      // The endpoints admit HTTPS from the grader instances and nothing else.
      const endpoints = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'VPC interface endpoints: HTTPS from grader instances only',
        allowAllOutbound: false,
      });
      endpoints.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from graders');
      for (const [name, service] of INTERFACE_ENDPOINTS) {
        this.vpc.addInterfaceEndpoint(name, {
          service,
          subnets: this.subnets,
          securityGroups: [endpoints],
          open: false,
        });
      }
    }
    this.launchTemplate = new ec2.LaunchTemplate(this, 'GraderLaunchTemplate', {
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
    });
  }
}
