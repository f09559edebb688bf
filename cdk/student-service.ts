import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { PIPELINE_ENV, STUDENT_API_ENV } from '../src/config.js';
import { PAGE_CSP, writePageSync } from '../src/page/build.js';
import { SUBMISSIONS_TABLE } from '../src/state/index.js';
import { STUDENTS_TABLE_KEY } from '../src/students/index.js';

/** API Gateway's HTTP API waits at most 29 s for an integration. */
export const API_INTEGRATION_TIMEOUT = Duration.seconds(29);
/** The student API function's limit: below the integration's, so the function always answers. */
export const API_FUNCTION_TIMEOUT = Duration.seconds(20);

export interface StudentServiceProps {
  submissions: s3.IBucket;
  results: s3.IBucket;
  /** Where the page bucket's and the distribution's access logs go. */
  accessLogs: s3.IBucket;
  /** The submission records' table; created here when the stack has none yet. */
  submissionsTable?: dynamodb.ITable;
  /** Makes a Lambda from functions/<folder>/index.ts the way the stack makes all of them. */
  makeFunction: (
    id: string,
    folder: string,
    environment: Record<string, string>,
    timeout?: Duration,
  ) => lambda.Function;
  logRetention: logs.RetentionDays;
  /** Requests per second over all students, and the burst above it (API Gateway throttling). */
  throttle?: { rateLimit: number; burstLimit: number };
}

/**
 * What students use: the page (a private S3 bucket behind CloudFront with origin access
 * control, HTTPS only, security headers) and the API (API Gateway HTTP API, throttled, with one
 * Lambda), on one origin: CloudFront sends /api/* to the API, so the page needs no CORS.
 * Tokens and quotas live in the students table; accepted files go to submissions/<student>/,
 * where S3's event starts the same intake as a file staff upload.
 */
export class StudentService extends Construct {
  readonly studentsTable: dynamodb.Table;
  readonly submissionsTable: dynamodb.ITable;
  readonly distribution: cloudfront.Distribution;
  readonly api: apigw.HttpApi;
  readonly handler: lambda.Function;

  constructor(scope: Construct, id: string, props: StudentServiceProps) {
    super(scope, id);
    const { rateLimit, burstLimit } = props.throttle ?? { rateLimit: 50, burstLimit: 100 };

    this.studentsTable = new dynamodb.Table(this, 'Students', {
      partitionKey: { name: STUDENTS_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The roster of a course: kept when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.submissionsTable = props.submissionsTable ?? this.recordsTable();

    // --- The API ---
    // The function stops before API Gateway gives up on it (29 s), so a slow call ends in the
    // function's own answer, never a 503 after the file was stored and a quota slot taken.
    this.handler = props.makeFunction(
      'StudentApi',
      'student-api',
      {
        [STUDENT_API_ENV.studentsTable]: this.studentsTable.tableName,
        [PIPELINE_ENV.stateTable]: this.submissionsTable.tableName,
        [PIPELINE_ENV.submissionsBucket]: props.submissions.bucketName,
        [PIPELINE_ENV.resultsBucket]: props.results.bucketName,
      },
      API_FUNCTION_TIMEOUT,
    );
    // Exactly the calls the API makes: a token's student and quota slots; a student's records
    // (claim, read, list by student). No Scan, DeleteItem or batch writes.
    this.studentsTable.grant(
      this.handler,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    );
    this.submissionsTable.grant(
      this.handler,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    );
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.submissions.arnForObjects('submissions/*')],
      }),
    );
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.results.arnForObjects('results/*')],
      }),
    );
    // Without ListBucket S3 answers 403 instead of 404 for a result not written yet.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.results.bucketArn] }),
    );

    this.api = new apigw.HttpApi(this, 'Api', {
      description: "The students' API: submit, list, read one",
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: '/api/{proxy+}',
      methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('ApiIntegration', this.handler, {
        timeout: API_INTEGRATION_TIMEOUT,
      }),
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new apigw.HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // A flood is cut here, before the Lambda; the per-student quota counts what gets through.
      throttle: { rateLimit, burstLimit },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });

    // --- The page ---
    const pageBucket = new s3.Bucket(this, 'Page', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'page-bucket/',
      // Built from the repository on every deploy: nothing in it to keep.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    const distributionLogs = new s3.Bucket(this, 'PageDistributionLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are delivered with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'page-distribution-logs/',
      lifecycleRules: [{ id: 'expire-distribution-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'PageHeaders', {
      comment: 'The page: strict CSP and the usual security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: PAGE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER,
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    const apiDomain = `${this.api.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
    this.distribution = new cloudfront.Distribution(this, 'PageDistribution', {
      comment: "CIFAR-10 autograder: the students' page and API",
      defaultRootObject: 'index.html',
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: distributionLogs,
      logFilePrefix: 'page/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(pageBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        '/api/*': {
          origin: new origins.HttpOrigin(apiDomain, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // Nothing cached, so the Authorization header is forwarded and every answer is fresh.
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
        },
      },
    });
    // Kept for a course that adds its own domain and certificate, where it takes effect; with the
    // default certificate CloudFront fixes the floor (cdk-nag CFR4 below says so).
    Annotations.of(this.distribution).acknowledgeWarning(
      '@aws-cdk/aws-cloudfront:minimumProtocolVersionWithoutCertificate',
      'TLSv1.2_2021 applies once a custom certificate is set',
    );
    const built = mkdtempSync(path.join(tmpdir(), 'autograder-page-'));
    writePageSync(built);
    new s3deploy.BucketDeployment(this, 'PageFiles', {
      sources: [s3deploy.Source.asset(built)],
      destinationBucket: pageBucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });

    new CfnOutput(Stack.of(this), 'PageUrl', {
      value: `https://${this.distribution.distributionDomainName}/`,
      description: "The students' page: give students this address and their tokens",
    });
    new CfnOutput(Stack.of(this), 'StudentsTableName', {
      value: this.studentsTable.tableName,
      description: 'Tokens and quotas (autograder students add NAME --stack STACK writes here)',
    });

    this.acknowledgeJustifiedFindings(pageBucket);
  }

  /** The submission records' table, shaped as the state store expects. */
  private recordsTable(): dynamodb.Table {
    const { partitionKey, sortKey, openIndex } = SUBMISSIONS_TABLE;
    const table = new dynamodb.Table(this, 'SubmissionRecords', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: openIndex.name,
      partitionKey: { name: openIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: openIndex.sortKey, type: dynamodb.AttributeType.STRING },
    });
    return table;
  }

  private acknowledgeJustifiedFindings(pageBucket: s3.Bucket): void {
    Validations.of(this.handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The course pins nodejs22.x, the runtime the handlers are tested on; moving runtimes is a deliberate, tested change.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Every route but /api/health is authorised inside the Lambda by the student's bearer token (one Authenticator interface, so OIDC can replace it); API Gateway's authorisers would need a second copy of the token lookup.",
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Students of a course may be anywhere; the page is not restricted by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The API is throttled by API Gateway and every submission is counted against a per-student quota after token authentication; a WAF web ACL would add cost for a course-sized audience without adding a control the service lacks.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default CloudFront certificate (no custom domain) cannot set a minimum TLS version; a course with its own domain sets the certificate and TLSv1.2_2021, already configured here, takes effect.',
      },
    );
    const stack = Stack.of(this);
    const table = this.submissionsTable.node.defaultChild as dynamodb.CfnTable | undefined;
    if (table) {
      Validations.of(this.handler).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(table)}.Arn>/index/*]`,
        reason:
          "The grant covers the records table's indexes: the API lists a student's records by querying the student index, with GetItem, PutItem and Query only.",
      });
    }
    // CDK's one bucket-deployment function per stack: it copies the built page from the asset
    // bucket into the page bucket and invalidates the distribution at deploy time.
    const copier = stack.node
      .findAll()
      .find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    const pageArn = `<${stack.getLogicalId(pageBucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const copierReason =
      "CDK's BucketDeployment function (runs only at deploy time) gets CDK's own S3 grants: read of the CDK asset bucket, write of the page bucket, and the CloudFront invalidation, which has no resource-level permission.";
    if (copier) {
      Validations.of(copier).acknowledge(
        ...[
          'AwsSolutions-IAM5[Action::s3:GetObject*]',
          'AwsSolutions-IAM5[Action::s3:GetBucket*]',
          'AwsSolutions-IAM5[Action::s3:List*]',
          'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
          'AwsSolutions-IAM5[Action::s3:Abort*]',
          `AwsSolutions-IAM5[Resource::${pageArn}/*]`,
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
          'AwsSolutions-IAM5[Resource::*]',
        ].map((id) => ({ id, reason: copierReason })),
        {
          id: 'AwsSolutions-L1',
          reason:
            "The runtime of CDK's BucketDeployment function is chosen by aws-cdk-lib and moves with its upgrades; it runs only during deploys.",
        },
      );
    }
  }
}
