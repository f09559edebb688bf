import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/page/build.js';
import { synthStack } from './stack-fixture.js';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

describe("the students' page and API in the stack", () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack());
  }, 600_000);

  it('throttles the HTTP API and routes only /api/* to its Lambda', () => {
    // Act
    const stages = template.findResources('AWS::ApiGatewayV2::Stage') as Resources;
    const routes = template.findResources('AWS::ApiGatewayV2::Route') as Resources;
    // Assess
    const stage = Object.values(stages)[0]?.Properties;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: expect.anything() },
    });
    expect(
      Object.values(routes)
        .map((r) => r.Properties.RouteKey)
        .sort(),
    ).toEqual(['GET /api/{proxy+}', 'POST /api/{proxy+}']);
  });

  it('serves the page from a private bucket through CloudFront with OAC, HTTPS and the CSP, /api/* on the same origin', () => {
    // Act
    const distributions = template.findResources('AWS::CloudFront::Distribution') as Resources;
    const config = Object.values(distributions)[0]?.Properties.DistributionConfig as Record<
      string,
      unknown
    >;
    // Assess
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    expect(config).toMatchObject({
      DefaultRootObject: 'index.html',
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https' },
      CacheBehaviors: [
        {
          PathPattern: '/api/*',
          ViewerProtocolPolicy: 'https-only',
          AllowedMethods: expect.arrayContaining(['POST', 'GET']),
        },
      ],
      Logging: { Bucket: expect.anything() },
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: PAGE_CSP, Override: true },
          StrictTransportSecurity: Match.objectLike({ Override: true }),
        }),
      }),
    });
    expect(PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('keeps tokens in a recoverable, encrypted table and names the page and table in outputs', () => {
    // Act
    const outputs = template.findOutputs('*');
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['PageUrl', 'StudentsTableName']));
    expect(JSON.stringify(outputs.PageUrl?.Value)).toContain('DomainName');
  });

  it('lets the API Lambda put only under submissions/ and read only under results/', () => {
    // Act
    const policies = template.findResources('AWS::IAM::Policy') as Resources;
    const statements = Object.entries(policies)
      .filter(([id]) => id.startsWith('StudentApi'))
      .flatMap(
        ([, p]) =>
          (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
      );
    const s3 = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    // Assess
    expect(s3.map((s) => s.Action).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(JSON.stringify(s3.find((s) => s.Action === 's3:PutObject')?.Resource)).toContain(
      '/submissions/*',
    );
    expect(JSON.stringify(s3.find((s) => s.Action === 's3:GetObject')?.Resource)).toContain(
      '/results/*',
    );
  });

  it('lets the API Lambda make only the DynamoDB calls it makes: no Scan, DeleteItem or batch writes', () => {
    // Act
    const policies = template.findResources('AWS::IAM::Policy') as Resources;
    const actions = Object.entries(policies)
      .filter(([id]) => id.startsWith('StudentApi'))
      .flatMap(
        ([, p]) =>
          (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
      )
      .flatMap((s) => [s.Action].flat() as string[])
      .filter((a) => a.startsWith('dynamodb:'));
    // Assess
    expect([...new Set(actions)].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('stops the API function before API Gateway stops waiting for it', () => {
    // Act
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration') as Resources;
    const functions = template.findResources('AWS::Lambda::Function') as Resources;
    const api = Object.entries(functions).find(([id]) => id.startsWith('StudentApi'));
    // Assess
    const waits = Object.values(integrations).map((i) => i.Properties.TimeoutInMillis);
    expect(waits).toEqual([29_000]);
    expect(api?.[1].Properties.Timeout).toBeLessThan(29);
  });
});
