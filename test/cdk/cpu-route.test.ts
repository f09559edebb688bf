import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AutograderStack } from '../../cdk/autograder-stack.js';
import { DEFAULT_SETTINGS, readSettings, SettingsError } from '../../cdk/settings.js';
import { CPU_ROUTE_OUTPUTS, STACK_OUTPUTS } from '../../src/staff/index.js';
import { synthStack } from './stack-fixture.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Logical ids of a type's resources whose properties match. */
function idsOf(template: Template, type: string, props: Record<string, unknown> = {}): string[] {
  return Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
}

describe('AutograderStack with autograder:cpuQueue=true in the private network', () => {
  let template: Template;
  let stack: AutograderStack;
  let outdir: string;
  beforeAll(() => {
    const synth = synthStack({ 'autograder:cpuQueue': 'true', 'autograder:network': 'private' });
    ({ template, stack } = synth);
    outdir = synth.app.synth().directory;
  });

  it('adds a Fargate compute environment and its own queue beside the GPU ones', () => {
    // Assess
    expect(idsOf(template, 'AWS::Batch::ComputeEnvironment')).toHaveLength(2);
    const fargate = idsOf(template, 'AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'FARGATE' }),
    });
    expect(fargate).toHaveLength(1);
    expect(idsOf(template, 'AWS::Batch::JobQueue')).toHaveLength(2);
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      ComputeEnvironmentOrder: [
        { ComputeEnvironment: { 'Fn::GetAtt': [fargate[0], 'ComputeEnvironmentArn'] }, Order: 1 },
      ],
    });
  });

  it('runs the CPU image on Fargate, x86-64, in the private grader network (no public address) and no GPU', () => {
    // Assess
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      PlatformCapabilities: ['FARGATE'],
      ContainerProperties: Match.objectLike({
        NetworkConfiguration: { AssignPublicIp: 'DISABLED' },
        RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
        ResourceRequirements: [
          { Type: 'MEMORY', Value: String(DEFAULT_SETTINGS.cpuJobMemoryMiB) },
          { Type: 'VCPU', Value: String(DEFAULT_SETTINGS.cpuJobVcpus) },
        ],
      }),
    });
    const fargateJobs = template.findResources('AWS::Batch::JobDefinition', {
      Properties: { PlatformCapabilities: ['FARGATE'] },
    }) as Resources;
    expect(JSON.stringify(fargateJobs)).not.toContain('"GPU"');
  });

  it('builds both grader images for linux/amd64 from their own Dockerfiles', async () => {
    // Prepare
    const manifest = JSON.parse(
      await readFile(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as { dockerImages: Record<string, { source: { dockerFile?: string; platform?: string } }> };
    // Act
    const images = Object.values(manifest.dockerImages).map((image) => image.source);
    // Assess
    expect(images.map((image) => [image.dockerFile, image.platform]).sort()).toEqual([
      ['grader-image/Dockerfile', 'linux/amd64'],
      ['grader-image/Dockerfile.cpu', 'linux/amd64'],
    ]);
  });

  it('tells on-submission both routes and the threshold, and lets it submit to both', () => {
    // Assess
    const queues = idsOf(template, 'AWS::Batch::JobQueue');
    expect(queues).toHaveLength(2);
    const onSubmission = idsOf(template, 'AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          AUTOGRADER_CPU_JOB_QUEUE: Match.anyValue(),
          AUTOGRADER_CPU_JOB_DEFINITION: Match.anyValue(),
          AUTOGRADER_CPU_MAX_TRAINING_MACS: String(DEFAULT_SETTINGS.cpuMaxTrainingMacs),
        }),
      },
    });
    // on-submission routes new uploads; the sweeper resubmits a lost job by the same rule.
    expect(onSubmission.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'OnSubmission',
      'Sweeper',
    ]);
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy'),
    ) as Resources[string][];
    const submitStatements = policies
      .flatMap(
        (policy) =>
          (
            policy.Properties?.PolicyDocument as
              | { Statement?: Record<string, unknown>[] }
              | undefined
          )?.Statement ?? [],
      )
      .filter((statement) => statement.Action === 'batch:SubmitJob');
    // on-submission's and the sweeper's: each may submit to both queues and both job definitions.
    expect(submitStatements).toHaveLength(2);
    const definitions = idsOf(template, 'AWS::Batch::JobDefinition');
    expect(definitions).toHaveLength(2);
    for (const submit of submitStatements) {
      const statement = JSON.stringify(submit.Resource);
      for (const queue of queues) expect(statement).toContain(`["${queue}","JobQueueArn"]`);
      for (const definition of definitions) expect(statement).toContain(`"${definition}"`);
    }
  });

  it('names the CPU route in its outputs, so regrade --stack routes as intake does', () => {
    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess
    const definitions = idsOf(template, 'AWS::Batch::JobDefinition', {
      PlatformCapabilities: ['FARGATE'],
    });
    expect(outputs[STACK_OUTPUTS.cpuJobDefinitionArn]?.Value).toEqual({ Ref: definitions[0] });
    expect(outputs[STACK_OUTPUTS.cpuMaxTrainingMacs]?.Value).toBe(
      String(DEFAULT_SETTINGS.cpuMaxTrainingMacs),
    );
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining([...CPU_ROUTE_OUTPUTS]));
  });

  it('reports failed jobs of either queue to on-job-failed', () => {
    // Assess
    const queues = idsOf(template, 'AWS::Batch::JobQueue');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: {
          status: ['FAILED'],
          jobQueue: queues.map((queue) => ({ 'Fn::GetAtt': [queue, 'JobQueueArn'] })),
        },
      }),
    });
  });

  it('passes cdk-nag AwsSolutionsChecks, every acknowledgement with a written reason', () => {
    // Act
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    // Assess
    expect(
      report.violations.map(
        (v) =>
          `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    for (const [id, reason] of acknowledged) expect(reason, id).toMatch(/\S.{30,}/);
  });
});

describe('CPU route settings', () => {
  it('is off by default', () => {
    // Act
    const settings = readSettings({ tryGetContext: () => undefined });
    // Assess
    expect(settings.cpuQueue).toBe(false);
  });

  it.each([
    { key: 'cpuQueue', value: 'yes', pattern: /cpuQueue is "yes"; expected true or false/ },
    { key: 'cpuJobVcpus', value: 3, pattern: /Fargate takes 1, 2, 4, 8 or 16 vCPUs/ },
    { key: 'cpuMaxTrainingMacs', value: 'many', pattern: /cpuMaxTrainingMacs is "many"/ },
  ])('refuses $key=$value, naming the key', ({ key, value, pattern }) => {
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
