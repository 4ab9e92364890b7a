import { noSuccessAlarmPeriodMinutes, type JobDefinition } from '../functions/shared/config.ts';
import { JOB_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE, METRIC_NAMES, SERVICE_DIMENSION } from '../functions/shared/metrics.ts';
import { ALARM_TOPIC_LOGICAL_ID, noSuccessAlarmLogicalId, type CloudFormationValue } from './naming.ts';
import type { StageSettings } from './stage-settings.ts';

/**
 * Alarms to one SNS topic: the state machine's failed, timed-out and aborted executions (built by
 * serverless-step-functions from `stateMachineAlarms`), and per enabled job an alarm that goes
 * off when no run of that job succeeded for its noSuccessAlarmMinutes.
 */

export interface AlarmContext {
  readonly service: string;
  readonly stage: string;
  readonly settings: StageSettings;
}

/** Returns the topic that every alarm notifies: the configured topic, else the one this stack creates. */
export function alarmTopic(settings: StageSettings): CloudFormationValue {
  return settings.alarms.topicArn ?? { Ref: ALARM_TOPIC_LOGICAL_ID };
}

/** Builds the `alarms` block of the state machine in serverless-step-functions' format. */
export function stateMachineAlarms(context: AlarmContext) {
  const topic = alarmTopic(context.settings);
  return {
    topics: { alarm: topic, ok: topic },
    metrics: ['executionsFailed', 'executionsTimedOut', 'executionsAborted'],
    // A minute without executions is no sign of a failure, so missing data does not breach.
    treatMissingData: 'notBreaching',
    nameTemplate: `${context.service}-${context.stage}-$[cloudWatchMetricName]`,
  };
}

/** Builds the alarm topic and its email subscription, when the settings call for them. */
export function topicResources(context: AlarmContext): Record<string, unknown> {
  const { settings } = context;
  const resources: Record<string, unknown> = {};
  if (settings.alarms.topicArn === undefined) {
    resources[ALARM_TOPIC_LOGICAL_ID] = {
      Type: 'AWS::SNS::Topic',
      Properties: {
        TopicName: `${context.service}-${context.stage}-alarms`,
        DisplayName: `${context.service} ${context.stage} alarms`,
        Tags: [
          { Key: 'service', Value: context.service },
          { Key: 'stage', Value: context.stage },
        ],
      },
    };
  }
  if (settings.alarms.email !== undefined) {
    resources['CronlockAlarmEmailSubscription'] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'email', Endpoint: settings.alarms.email, TopicArn: alarmTopic(settings) },
    };
  }
  return resources;
}

/**
 * Builds one alarm per enabled job on the CronSucceeded metric, which the release steps publish as 1
 * when the cron ran and exited 0 and as 0 otherwise, with the dimensions `service` and `job`.
 * Each period without a success breaches, including a period with no data at all. The alarm goes
 * off when every period of the window breached, which is when no run succeeded for
 * noSuccessAlarmMinutes.
 */
export function noSuccessAlarms(context: AlarmContext, jobs: readonly JobDefinition[]): Record<string, unknown> {
  const topic = alarmTopic(context.settings);
  const alarms: Record<string, unknown> = {};
  for (const job of jobs) {
    const periodMinutes = noSuccessAlarmPeriodMinutes(job.noSuccessAlarmMinutes);
    const periods = job.noSuccessAlarmMinutes / periodMinutes;
    alarms[noSuccessAlarmLogicalId(job.name)] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${context.service}-${context.stage}-${job.name}-no-success`,
        AlarmDescription: `No run of the ${job.name} job of ${context.service} ${context.stage} succeeded in the last ${job.noSuccessAlarmMinutes} minutes. Check the failed or skipped executions of the state machine and the lease row of ${job.name}.`,
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC_NAMES.cronSucceeded,
        // CloudWatch matches the full set of dimensions, so both must be named.
        Dimensions: [
          { Name: SERVICE_DIMENSION, Value: METRICS_SERVICE },
          { Name: JOB_DIMENSION, Value: job.name },
        ],
        Statistic: 'Sum',
        Period: periodMinutes * 60,
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [topic],
        OKActions: [topic],
      },
    };
  }
  return alarms;
}
