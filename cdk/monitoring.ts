import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SWEEP_METRICS } from '../src/pipeline/sweep.js';

export interface MonitoringProps {
  /** Every function: an error in any is worth a look. */
  functions: Record<string, lambda.IFunction>;
  /** Failure queues: a message in one is a submission no automatic path could finish. */
  failureQueues: Record<string, sqs.IQueue>;
  /** The rule that matches FAILED grading jobs. */
  jobFailedRule: events.Rule;
  /** Staff's address for the alarms (context autograder:alarmEmail); none: subscribe later. */
  alarmEmail?: string;
  /** A submission waiting longer than this (queued or running) raises the queue-age alarm. */
  maxWaitMinutes: number;
}

/** Alarms staff are told about, by email through one SNS topic. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // CloudWatch can publish only to topics whose key lets it: AWS's own SNS key does not.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the autograder alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'CIFAR-10 autograder alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const action = new SnsAction(this.topic);
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
    };

    for (const [name, queue] of Object.entries(props.failureQueues)) {
      alarm(
        `${name}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        1,
        `An event in ${name}: retries ran out. The sweeper finishes the submission's record; look at the function's logs for the cause, then delete the message.`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `${name}Errors`,
        fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
        3,
        `${name} failed 3 or more times in 15 minutes (retries included). See its log group.`,
      );
    }
    alarm(
      'FailedJobs',
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'TriggeredRules',
        dimensionsMap: { RuleName: props.jobFailedRule.ruleName },
        period: Duration.hours(1),
        statistic: 'Sum',
      }),
      5,
      'Five or more grading jobs failed in an hour: look for a capacity, image or data problem.',
    );
    alarm(
      'QueueAge',
      new cloudwatch.Metric({
        namespace: SWEEP_METRICS.namespace,
        metricName: SWEEP_METRICS.oldestWaitingMinutes,
        period: Duration.minutes(15),
        statistic: 'Maximum',
      }),
      props.maxWaitMinutes,
      `A submission has waited ${props.maxWaitMinutes} minutes or more for its result: the queue is too long for the compute environment, or jobs are stuck.`,
    );
  }
}
