import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SUBMISSIONS_TABLE } from '../src/state/dynamodb-state-store.js';

/**
 * The submission records' table (design.md, "Lifecycle: one record, one result"): its keys and
 * its sparse index of unfinished records come from the state store's own definition, so the
 * code and the stack cannot disagree.
 */
export class SubmissionRecords extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, sortKey, openIndex } = SUBMISSIONS_TABLE;
    const text = dynamodb.AttributeType.STRING;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: text },
      sortKey: { name: sortKey, type: text },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      // Course records: a stack deletion must not take the grading history with it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: openIndex.name,
      partitionKey: { name: openIndex.partitionKey, type: text },
      sortKey: { name: openIndex.sortKey, type: text },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}

/** Runs the sweeper on a schedule; a failed run is retried and then kept in its failure queue. */
export function scheduleSweeper(
  scope: Construct,
  sweeper: lambda.IFunction,
  every: Duration,
): events.Rule {
  return new events.Rule(scope, 'SweeperSchedule', {
    description: 'Find submissions stuck short of their result and move them on',
    schedule: events.Schedule.rate(every),
    targets: [new targets.LambdaFunction(sweeper, { retryAttempts: 2 })],
  });
}
