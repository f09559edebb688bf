import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  MIN_JOB_TIMEOUT_MINUTES,
  readSettings,
  SettingsError,
} from '../../cdk/settings.js';
import { CPU_ROUTE_OUTPUTS, STACK_OUTPUTS } from '../../src/staff/index.js';
import { synthStack } from './stack-fixture.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The logical id of the only resource of a type whose properties match. */
function logicalIdOf(
  template: Template,
  type: string,
  props: Record<string, unknown> = {},
): string {
  const found = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(found, `one ${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as string;
}

/** Every IAM statement attached to the role with this logical id. */
function statementsOfRole(template: Template, roleId: string): Record<string, unknown>[] {
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  return Object.values(policies)
    .filter((policy) =>
      JSON.stringify(policy.Properties?.Roles ?? []).includes(`"Ref":"${roleId}"`),
    )
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)
          ?.Statement ?? [],
    );
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

describe('AutograderStack with default settings', () => {
  let template: Template;
  let app: App;
  // Synthesis bundles three Lambdas with esbuild: minutes on a loaded machine.
  beforeAll(() => {
    ({ template, app } = synthStack());
  }, 600_000);

  describe('buckets', () => {
    it('block public access, encrypt, keep versions and log access on both course buckets', () => {
      // Act
      const buckets = template.findResources('AWS::S3::Bucket', {
        Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }),
      });
      const course = Object.entries(buckets as Resources).filter(([id]) =>
        /^(Submissions|Results)/.test(id),
      );
      // Assess
      expect(course).toHaveLength(2);
      for (const [, bucket] of course) {
        expect(bucket.Properties).toMatchObject({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          VersioningConfiguration: { Status: 'Enabled' },
        });
        const lifecycle = bucket.Properties?.LifecycleConfiguration as
          | { Rules?: unknown[] }
          | undefined;
        expect(lifecycle?.Rules?.length ?? 0).toBeGreaterThan(0);
      }
    });

    it('refuse requests without TLS on every bucket', () => {
      // Act
      const policies = template.findResources('AWS::S3::BucketPolicy');
      // Assess
      expect(Object.keys(policies)).toHaveLength(
        Object.keys(template.findResources('AWS::S3::Bucket')).length,
      );
      template.allResourcesProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('expire replaced versions and stale uploads', () => {
      // Assess
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              NoncurrentVersionExpiration: { NoncurrentDays: 90 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
              Status: 'Enabled',
            }),
          ]),
        },
      });
    });

    it('start on-submission for objects created under submissions/ only', () => {
      // Assess
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            Match.objectLike({
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'submissions/' }] } },
            }),
          ],
        },
      });
    });
  });

  describe('Lambdas', () => {
    it('run the four handlers on nodejs22.x, bundled as ESM', () => {
      // Act
      const functions = template.findResources('AWS::Lambda::Function', {
        Properties: Match.objectLike({ Runtime: 'nodejs22.x' }),
      });
      // Assess
      expect(Object.keys(functions).sort()).toEqual([
        expect.stringMatching(/^OnJobState/),
        expect.stringMatching(/^OnSubmission/),
        expect.stringMatching(/^StudentApi/),
        expect.stringMatching(/^Sweeper/),
      ]);
      for (const fn of Object.values(functions) as Resources[string][]) {
        expect(fn.Properties?.Handler).toBe('index.handler');
      }
    });

    it('bundle the handlers without TensorFlow.js, so they stay small and start fast', async () => {
      // Prepare
      const outdir = app.synth().directory;
      const bundles = (await readdir(outdir)).filter((entry) => entry.startsWith('asset.'));
      const handlers: string[] = [];
      for (const dir of bundles) {
        const file = path.join(outdir, dir, 'index.mjs');
        if ((await stat(file).catch(() => undefined))?.isFile()) handlers.push(file);
      }
      // Act
      const contents = await Promise.all(handlers.map((file) => readFile(file, 'utf8')));
      // Assess
      expect(handlers).toHaveLength(4);
      for (const code of contents) {
        expect(code).not.toContain('@tensorflow/tfjs');
        expect(code.length).toBeLessThan(2_000_000);
      }
    });

    it.each([
      ['OnSubmission', 'OnSubmissionFailures'],
      ['OnJobState', 'OnJobStateFailures'],
      ['Sweeper', 'SweeperFailures'],
    ])(
      'send %s failures after retries (errors inside it too) to an encrypted queue',
      (fn, queue) => {
        // Prepare
        const functionId = Object.keys(template.findResources('AWS::Lambda::Function')).find((id) =>
          id.startsWith(fn),
        );
        // Assess
        template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: functionId },
          MaximumRetryAttempts: 2,
          DestinationConfig: {
            OnFailure: {
              Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${queue}`), 'Arn'] },
            },
          },
        });
        template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      },
    );

    it('give on-job-state a dead-letter queue on its EventBridge targets', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            DeadLetterConfig: {
              Arn: {
                'Fn::GetAtt': [Match.stringLikeRegexp('^OnJobStateDeliveryFailures'), 'Arn'],
              },
            },
            RetryPolicy: { MaximumRetryAttempts: 8 },
          }),
        ],
      });
    });

    it('run the sweeper every 15 minutes, asking Batch about jobs past timeout × attempts + 15 min', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(15 minutes)',
        Targets: [
          Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Sweeper'), 'Arn'] } }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            AUTOGRADER_SWEEP_AFTER_MINUTES: String(
              DEFAULT_SETTINGS.jobTimeoutMinutes * DEFAULT_SETTINGS.jobAttempts + 15,
            ),
          }),
        },
      });
    });
  });

  describe('submission records', () => {
    it('keep one item per upload in a table with point-in-time recovery, encryption and the open-status index', () => {
      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'student', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'open-status',
            KeySchema: [
              { AttributeName: 'open_status', KeyType: 'HASH' },
              { AttributeName: 'updated_at', KeyType: 'RANGE' },
            ],
          }),
        ],
      });
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    });

    it("give intake a lease as long as the functions' timeout", () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', {
        Timeout: 60,
        Environment: { Variables: Match.objectLike({ AUTOGRADER_LEASE_SECONDS: '60' }) },
      });
    });
  });

  describe('monitoring', () => {
    it('alarms on every failure queue, every function, failed jobs and queue age, to one encrypted topic', () => {
      // Prepare
      const topic = logicalIdOf(template, 'AWS::SNS::Topic');
      // Act
      const alarms = Object.values(
        template.findResources('AWS::CloudWatch::Alarm'),
      ) as Resources[string][];
      const metrics = alarms.map((alarm) => alarm.Properties?.MetricName).sort();
      // Assess
      expect(metrics).toEqual([
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesVisible',
        'Errors',
        'Errors',
        'Errors',
        'OldestWaitingMinutes',
        'TriggeredRules',
      ]);
      for (const alarm of alarms) {
        expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topic }]);
      }
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  describe('Batch', () => {
    it('runs on-demand g4dn.xlarge instances from the ECS AL2023 NVIDIA AMI, capped in vCPUs', () => {
      // Assess
      template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
        Type: 'managed',
        ComputeResources: Match.objectLike({
          Type: 'EC2',
          InstanceTypes: ['g4dn.xlarge'],
          MinvCpus: 0,
          MaxvCpus: 16,
          Ec2Configuration: [{ ImageType: 'ECS_AL2023_NVIDIA' }],
        }),
      });
    });

    it('queues jobs on that compute environment', () => {
      // Prepare
      const environment = logicalIdOf(template, 'AWS::Batch::ComputeEnvironment');
      // Assess
      template.hasResourceProperties('AWS::Batch::JobQueue', {
        ComputeEnvironmentOrder: [
          {
            ComputeEnvironment: { 'Fn::GetAtt': [environment, 'ComputeEnvironmentArn'] },
            Order: 1,
          },
        ],
      });
    });

    it('schedules the queue by fair share, so one student cannot starve the class', () => {
      // Prepare
      const policy = logicalIdOf(template, 'AWS::Batch::SchedulingPolicy');
      // Assess
      template.hasResourceProperties('AWS::Batch::SchedulingPolicy', {
        FairsharePolicy: Match.objectLike({ ShareDecaySeconds: 3600 }),
      });
      template.hasResourceProperties('AWS::Batch::JobQueue', {
        SchedulingPolicyArn: { 'Fn::GetAtt': [policy, 'Arn'] },
      });
    });

    it('cancels a job stuck waiting for capacity, so its failure result is written', () => {
      // Assess
      template.hasResourceProperties('AWS::Batch::JobQueue', {
        JobStateTimeLimitActions: [
          {
            Action: 'CANCEL',
            State: 'RUNNABLE',
            Reason: 'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY',
            MaxTimeSeconds: 14400,
          },
          {
            Action: 'CANCEL',
            State: 'RUNNABLE',
            Reason: 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
            MaxTimeSeconds: 600,
          },
          {
            Action: 'CANCEL',
            State: 'RUNNABLE',
            Reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
            MaxTimeSeconds: 600,
          },
        ],
      });
    });

    it('asks for one GPU, times attempts out, retries only a lost host', () => {
      // Assess
      template.hasResourceProperties('AWS::Batch::JobDefinition', {
        Type: 'container',
        Timeout: { AttemptDurationSeconds: MIN_JOB_TIMEOUT_MINUTES * 60 },
        RetryStrategy: {
          Attempts: 3,
          EvaluateOnExit: [
            { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
            { Action: 'EXIT', OnStatusReason: '*' },
          ],
        },
        ContainerProperties: Match.objectLike({
          ResourceRequirements: [
            { Type: 'MEMORY', Value: '14336' },
            { Type: 'VCPU', Value: '4' },
            { Type: 'GPU', Value: '1' },
          ],
        }),
      });
    });

    it('runs the grader image built from grader-image/Dockerfile as an image asset', () => {
      // Assess
      template.hasResourceProperties('AWS::Batch::JobDefinition', {
        ContainerProperties: Match.objectLike({
          Image: { 'Fn::Sub': Match.stringLikeRegexp('cdk-hnb659fds-container-assets') },
        }),
      });
    });
  });

  describe('EventBridge', () => {
    it.each([[['FAILED']], [['RUNNING', 'SUCCEEDED']]])(
      'sends %j job state changes of this queue to on-job-state',
      (statuses) => {
        // Prepare
        const queue = logicalIdOf(template, 'AWS::Batch::JobQueue');
        const onJobState = logicalIdOf(template, 'AWS::Lambda::Function', {
          Environment: {
            Variables: Match.objectLike({
              AUTOGRADER_JOB_QUEUE: Match.absent(),
              AUTOGRADER_STUDENTS_TABLE: Match.absent(),
              AUTOGRADER_RESULTS_BUCKET: Match.anyValue(),
            }),
          },
        });
        // Assess
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: {
            source: ['aws.batch'],
            'detail-type': ['Batch Job State Change'],
            detail: { status: statuses, jobQueue: [{ 'Fn::GetAtt': [queue, 'JobQueueArn'] }] },
          },
          Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [onJobState, 'Arn'] } })],
        });
      },
    );
  });

  it('has exactly the outputs docs/deploy.md lists, PageUrl among them', () => {
    // Prepare
    const deployDoc = readFileSync(path.join(REPO, 'docs', 'deploy.md'), 'utf8');
    const table = deployDoc.slice(deployDoc.indexOf('| output |'));
    const documented = [...table.slice(0, table.indexOf('\n\n')).matchAll(/`([A-Za-z]+)`/g)].map(
      (m) => m[1],
    );
    // Act
    const outputs = Object.keys(template.toJSON().Outputs ?? {});
    // Assess
    expect(documented.sort()).toEqual(outputs.sort());
    expect(outputs).toContain('PageUrl');
  });

  describe('network', () => {
    it('puts the grader instances in public subnets with no NAT and no endpoints, so nothing is billed while idle', () => {
      // Assess
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.resourceCountIs('AWS::EC2::InternetGateway', 1);
      template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
      const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup') as Resources);
      expect(groups.map((group) => group.Properties?.SecurityGroupIngress)).toEqual(
        groups.map(() => undefined),
      );
    });

    it('requires IMDSv2 with one hop on the instances, so containers cannot reach instance metadata', () => {
      // Prepare
      const launchTemplate = logicalIdOf(template, 'AWS::EC2::LaunchTemplate');
      // Assess
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        }),
      });
      template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
        ComputeResources: Match.objectLike({
          LaunchTemplate: Match.objectLike({ LaunchTemplateId: { Ref: launchTemplate } }),
        }),
      });
    });
  });

  describe('least-privilege IAM', () => {
    it('lets on-submission read submissions, write results, use the records, submit to one queue, and reach its DLQ', () => {
      // Prepare
      const fn = logicalIdOf(template, 'AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            AUTOGRADER_JOB_QUEUE: Match.anyValue(),
            AUTOGRADER_SWEEP_AFTER_MINUTES: Match.absent(),
          }),
        },
      });
      const role = (
        template.toJSON().Resources[fn].Properties.Role['Fn::GetAtt'] as string[]
      )[0] as string;
      // Act
      const statements = statementsOfRole(template, role);
      const actions = statements.flatMap((s) => asList(s.Action)).sort();
      // Assess
      expect(actions.filter((action) => !String(action).startsWith('dynamodb:'))).toEqual([
        'batch:CancelJob',
        'batch:DescribeJobs',
        'batch:ListJobs',
        'batch:SubmitJob',
        's3:GetObject',
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListBucket',
        's3:PutObject',
        // The failure destination: sending to its own dead-letter queue.
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ]);
      expect(actions).toContain('dynamodb:ConditionCheckItem');
      expect(actions).not.toContain('s3:DeleteObject');
      // Only the two Batch reads that have no resource-level permissions are on "*".
      const anywhere = statements.filter((s) => s.Resource === '*');
      expect(anywhere.flatMap((s) => asList(s.Action)).sort()).toEqual([
        'batch:DescribeJobs',
        'batch:ListJobs',
      ]);
      const submit = statements.find((s) => s.Action === 'batch:SubmitJob');
      expect(asList(submit?.Resource)).toHaveLength(2);
    });

    it('lets the grading container read submissions/* and write results/*, and nothing else', () => {
      // Prepare
      const role = logicalIdOf(template, 'AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
        },
        Description: Match.stringLikeRegexp('grading container'),
      });
      // Act
      const statements = statementsOfRole(template, role);
      const actions = new Set(statements.flatMap((s) => asList(s.Action)));
      // Assess
      expect([...actions].sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject']);
      const puts = statements.filter((s) => asList(s.Action).includes('s3:PutObject'));
      expect(puts).toHaveLength(1);
      expect(JSON.stringify(puts)).toContain('/results/*');
      expect(JSON.stringify(puts)).not.toContain('/submissions/*');
      const gets = statements.filter((s) => asList(s.Action).includes('s3:GetObject'));
      expect(JSON.stringify(gets)).toContain('/submissions/*');
      expect(JSON.stringify(gets)).not.toContain('/results/*');
    });
  });

  it('names the buckets and the upload prefix in its outputs', () => {
    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess
    expect(outputs.UploadPrefix?.Value).toBe('submissions/');
    expect(outputs.ResultsPrefix?.Value).toBe('results/');
    expect(outputs.SubmissionsBucketName?.Value).toEqual({
      Ref: expect.stringMatching(/^Submissions/),
    });
    expect(outputs.ResultsBucketName?.Value).toEqual({ Ref: expect.stringMatching(/^Results/) });
  });

  it('has every output the staff commands (report, regrade, status --stack) read', () => {
    // Act
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    // Assess
    // The CPU route's outputs exist only where that route is deployed (cpu-route.test.ts).
    const always = Object.values(STACK_OUTPUTS).filter((id) => !CPU_ROUTE_OUTPUTS.includes(id));
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(always));
  });
});

describe('AutograderStack context options', () => {
  it('uses spot capacity, other instance types, limits and timeout from context', () => {
    // Prepare
    const context = {
      'autograder:spot': 'true',
      'autograder:instanceTypes': 'g5.xlarge,g4dn.2xlarge',
      'autograder:maxVcpus': '64',
      'autograder:jobTimeoutMinutes': MIN_JOB_TIMEOUT_MINUTES + 20,
      'autograder:jobAttempts': 5,
    };
    // Act
    const { template } = synthStack(context);
    // Assess
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Type: 'SPOT',
        AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
        InstanceTypes: ['g5.xlarge', 'g4dn.2xlarge'],
        MaxvCpus: 64,
      }),
    });
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Timeout: { AttemptDurationSeconds: (MIN_JOB_TIMEOUT_MINUTES + 20) * 60 },
      RetryStrategy: Match.objectLike({ Attempts: 5 }),
    });
  });

  it('puts the grader instances in isolated subnets that reach AWS through endpoints only, and emails alarms, when the context says so', () => {
    // Act
    const { template } = synthStack({
      'autograder:network': 'private',
      'autograder:alarmEmail': 'staff@example.edu',
    });
    // Assess
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
      VpcEndpointType: 'Gateway',
    });
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Interface' },
    });
    const services = JSON.stringify(Object.values(interfaces));
    for (const service of [
      'ecr.api',
      'ecr.dkr',
      'logs',
      'ecs',
      'ecs-agent',
      'ecs-telemetry',
      'batch',
    ]) {
      expect(services).toContain(`.${service}`);
    }
    // The idle cost deploy.md states is these endpoints, once in each subnet's AZ.
    const subnets = Object.keys(template.findResources('AWS::EC2::Subnet')).length;
    const deployDoc = readFileSync(path.join(REPO, 'docs', 'deploy.md'), 'utf8');
    expect(deployDoc).toContain(
      `${Object.keys(interfaces).length} interface endpoints in each of ${subnets} AZs: ${Object.keys(interfaces).length * subnets} endpoint-AZs`,
    );
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'staff@example.edu',
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      }),
    });
  });

  it.each([
    {
      description: 'an unknown network mode',
      key: 'network',
      value: 'open',
      pattern: /"private" or "public"/,
    },
    {
      description: 'a non-numeric vCPU cap',
      key: 'maxVcpus',
      value: 'lots',
      pattern: /maxVcpus is "lots"/,
    },
    {
      description: "a timeout shorter than the rubric's time limits add up to",
      key: 'jobTimeoutMinutes',
      value: MIN_JOB_TIMEOUT_MINUTES - 1,
      pattern: new RegExp(`from ${MIN_JOB_TIMEOUT_MINUTES} to 1440`),
    },
    {
      description: 'a spot flag that is not boolean',
      key: 'spot',
      value: 'maybe',
      pattern: /true or false/,
    },
    {
      description: 'an empty instance list',
      key: 'instanceTypes',
      value: '',
      pattern: /instance types/,
    },
  ])('refuses $description, naming the context key', ({ key, value, pattern }) => {
    // Prepare
    const node = {
      tryGetContext: (name: string) => (name === `autograder:${key}` ? value : undefined),
    };
    // Act
    const read = () => readSettings(node);
    // Assess
    expect(read).toThrow(SettingsError);
    expect(read).toThrow(pattern);
  });
});
