import { PATTERNS, type StageSettings } from './stage-settings.ts';

/** A CloudFormation value: a literal or an intrinsic function such as Fn::Sub or Fn::GetAtt. */
export type CloudFormationValue = string | Readonly<Record<string, unknown>>;

/** The Lambda functions of serverless.yml, by their key there. */
export const FUNCTION_KEYS = [
  'resolveSettings',
  'ensureLockTable',
  'insertLockRow',
  'acquireLock',
  'releaseLock',
  'stopCronTask',
  'reclaimLease',
] as const;
export type FunctionKey = (typeof FUNCTION_KEYS)[number];

/** Logical ID of the state machine, set with `id` in serverless.yml. */
export const STATE_MACHINE_LOGICAL_ID = 'CronlockStateMachine';
export const STATE_MACHINE_ROLE_LOGICAL_ID = 'CronlockStateMachineRole';
export const SCHEDULE_ROLE_LOGICAL_ID = 'CronlockScheduleRole';
export const STATE_MACHINE_LOG_GROUP_LOGICAL_ID = 'CronlockStateMachineLogGroup';
export const ALARM_TOPIC_LOGICAL_ID = 'CronlockAlarmTopic';

/** Upper-cases the first letter, as the Serverless Framework does for logical IDs. */
export function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Logical ID that the Serverless Framework gives a function's AWS::Lambda::Function. */
export function functionLogicalId(key: FunctionKey): string {
  return `${capitalize(key)}LambdaFunction`;
}

export function functionRoleLogicalId(key: FunctionKey): string {
  return `${capitalize(key)}Role`;
}

/**
 * Logical ID of a job's alarm. Job names may contain "-" and "_", which logical IDs may not, so
 * they are spelt out as the Serverless Framework does for function names.
 */
export function noSuccessAlarmLogicalId(job: string): string {
  const spelt = capitalize(job).replaceAll('-', 'Dash').replaceAll('_', 'Underscore');
  return `${spelt}NoSuccessAlarm`;
}

/** The Serverless Framework's default function name, which the roles' log permissions name. */
export function functionName(service: string, stage: string, key: FunctionKey): string {
  return `${service}-${stage}-${key}`;
}

/** Builds an ARN in the stack's partition, Region and account, for a resource named by the settings. */
export function stackArn(service: string, resource: string): CloudFormationValue {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}` };
}

/** The ECS cluster as the settings give it: its ARN for IAM conditions and the ARN of its tasks. */
export interface ClusterReference {
  readonly arn: CloudFormationValue;
  /** Every task of the cluster: `task/CLUSTER/*` in the cluster's account. */
  readonly tasksArn: CloudFormationValue;
}

export function clusterReference(settings: StageSettings): ClusterReference {
  const { cluster } = settings.ecs;
  const arnMatch = PATTERNS.clusterArn.exec(cluster);
  if (arnMatch?.[2] !== undefined) {
    return { arn: cluster, tasksArn: `${cluster.replace(':cluster/', ':task/')}/*` };
  }
  return { arn: stackArn('ecs', `cluster/${cluster}`), tasksArn: stackArn('ecs', `task/${cluster}/*`) };
}

/** Returns the task definition family, which IAM scopes RunTask to, from a family, family:revision or ARN. */
export function taskDefinitionFamily(settings: StageSettings): string {
  const arnMatch = PATTERNS.taskDefinitionArn.exec(settings.ecs.taskDefinition);
  if (arnMatch?.[2] !== undefined) {
    return arnMatch[2];
  }
  return settings.ecs.taskDefinition.split(':')[0] ?? settings.ecs.taskDefinition;
}
