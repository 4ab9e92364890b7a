import {
  FUNCTION_KEYS,
  STATE_MACHINE_LOGICAL_ID,
  clusterReference,
  functionLogicalId,
  functionName,
  functionRoleLogicalId,
  stackArn,
  taskDefinitionFamily,
  type CloudFormationValue,
  type ClusterReference,
  type FunctionKey,
} from './naming.ts';
import type { StageSettings } from './stage-settings.ts';

/**
 * The IAM roles of the stack, one per Lambda function and one for the state machine, each with
 * only the actions its code or the workflow definition calls. ECS RunTask, iam:PassRole and the
 * Data API are scoped to the configured task definition family, roles and cluster. The statements
 * on "*" are for actions that IAM does not scope to a resource: log delivery, X-Ray, ECS
 * ListTasks (limited by an ecs:cluster condition) and the network interfaces of a Lambda
 * function in a VPC.
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: CloudFormationValue | readonly CloudFormationValue[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, CloudFormationValue>>>>;
}

export interface RoleResource {
  readonly Type: 'AWS::IAM::Role';
  readonly Properties: Readonly<Record<string, unknown>>;
}

export interface RoleContext {
  readonly service: string;
  readonly stage: string;
  readonly settings: StageSettings;
}

/** The AWS calls of a function's code, besides writing its own logs. */
interface FunctionAccess {
  /** Reads and writes the lock table through the Data API or a MySQL connection. */
  readonly database: boolean;
  readonly ecs: readonly ('ListTasks' | 'DescribeTasks' | 'StopTask')[];
}

export const FUNCTION_ACCESS: Readonly<Record<FunctionKey, FunctionAccess>> = {
  resolveSettings: { database: false, ecs: [] },
  ensureLockTable: { database: true, ecs: [] },
  insertLockRow: { database: true, ecs: [] },
  // Skips while a task of the job has not stopped.
  acquireLock: { database: true, ecs: ['ListTasks', 'DescribeTasks'] },
  releaseLock: { database: true, ecs: [] },
  stopCronTask: { database: false, ecs: ['ListTasks', 'DescribeTasks', 'StopTask'] },
  reclaimLease: { database: true, ecs: ['ListTasks', 'DescribeTasks', 'StopTask'] },
};

/** Builds each function's own role, by logical ID. */
export function buildFunctionRoles(context: RoleContext): Record<string, RoleResource> {
  const roles: Record<string, RoleResource> = {};
  for (const key of FUNCTION_KEYS) {
    roles[functionRoleLogicalId(key)] = role(context, trust('lambda.amazonaws.com'), `${key} Lambda function`, functionStatements(context, key));
  }
  return roles;
}

/** Builds the state machine's role, which may invoke only the functions the definition calls. */
export function buildStateMachineRole(context: RoleContext, invokedFunctions: readonly FunctionKey[]): RoleResource {
  // Step Functions documents aws:SourceAccount for its roles: only this account's state
  // machines may take the role.
  const trustPolicy = trust('states.amazonaws.com', { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  return role(context, trustPolicy, 'state machine', stateMachineStatements(context, invokedFunctions));
}

/** Builds the role through which the EventBridge schedules start the state machine, and nothing else. */
export function buildScheduleRole(context: RoleContext): RoleResource {
  const statements: PolicyStatement[] = [
    { Sid: 'StartCronlockExecutions', Effect: 'Allow', Action: ['states:StartExecution'], Resource: { Ref: STATE_MACHINE_LOGICAL_ID } },
  ];
  return role(context, trust('events.amazonaws.com'), 'job schedules', statements);
}

function trust(principal: string, condition?: PolicyStatement['Condition']) {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: principal }, Action: 'sts:AssumeRole', ...(condition === undefined ? {} : { Condition: condition }) }],
  };
}

function role(context: RoleContext, trustPolicy: ReturnType<typeof trust>, purpose: string, statements: readonly PolicyStatement[]): RoleResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `${context.service} ${context.stage}: role of the ${purpose}`,
      AssumeRolePolicyDocument: trustPolicy,
      Policies: [{ PolicyName: `${context.service}-${context.stage}`, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
      ...(context.settings.permissionsBoundaryArn === undefined ? {} : { PermissionsBoundary: context.settings.permissionsBoundaryArn }),
      Tags: [
        { Key: 'service', Value: context.service },
        { Key: 'stage', Value: context.stage },
      ],
    },
  };
}

function functionStatements(context: RoleContext, key: FunctionKey): PolicyStatement[] {
  const logGroup = `log-group:/aws/lambda/${functionName(context.service, context.stage, key)}`;
  const access = FUNCTION_ACCESS[key];
  return [
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [stackArn('logs', `${logGroup}:*`), stackArn('logs', `${logGroup}:*:*`)],
    },
    ...(access.database ? databaseStatements(context.settings) : []),
    ...ecsStatements(clusterReference(context.settings), access.ecs),
  ];
}

function databaseStatements(settings: StageSettings): PolicyStatement[] {
  const { database } = settings;
  if (database.clusterArn !== undefined && database.secretArn !== undefined) {
    // The Data API runs each statement as the caller and reads the secret with the caller's
    // credentials, so the function needs both. The executor sends single ExecuteStatement calls
    // and no transactions.
    const statements: PolicyStatement[] = [
      { Sid: 'ExecuteLeaseStatements', Effect: 'Allow', Action: ['rds-data:ExecuteStatement'], Resource: database.clusterArn },
      { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: database.secretArn },
    ];
    if (database.secretKmsKeyArn !== undefined) {
      statements.push({
        Sid: 'DecryptDatabaseSecret',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: database.secretKmsKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      });
    }
    return statements;
  }

  // A direct MySQL connection needs the function in the VPC. Lambda creates and deletes its
  // network interfaces with the function's role. The Lambda developer guide states that
  // DescribeNetworkInterfaces works only on "*" and that DeleteNetworkInterface needs every
  // interface ID, so these are granted on "*" as in the managed AWSLambdaVPCAccessExecutionRole.
  return [
    {
      Sid: 'ManageVpcNetworkInterfaces',
      Effect: 'Allow',
      Action: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: '*',
    },
  ];
}

/** The ECS calls of a function that finds, watches or stops the job's tasks in the cluster. */
function ecsStatements(cluster: ClusterReference, actions: FunctionAccess['ecs']): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (actions.includes('ListTasks')) {
    // ListTasks authorizes against container instances, which Fargate tasks have none of, so it is
    // limited to the cluster by condition instead of by resource.
    statements.push({
      Sid: 'ListClusterTasks',
      Effect: 'Allow',
      Action: ['ecs:ListTasks'],
      Resource: '*',
      Condition: { ArnEquals: { 'ecs:cluster': cluster.arn } },
    });
  }
  const taskActions = actions.filter((action) => action !== 'ListTasks').map((action) => `ecs:${action}`);
  if (taskActions.length > 0) {
    // NOTE: DescribeTasks is called with include TAGS, for which ECS documents no extra permission.
    statements.push({ Sid: 'WatchClusterTasks', Effect: 'Allow', Action: taskActions, Resource: cluster.tasksArn });
  }
  return statements;
}

function stateMachineStatements(context: RoleContext, invokedFunctions: readonly FunctionKey[]): PolicyStatement[] {
  const { settings } = context;
  const cluster = clusterReference(settings);
  const family = taskDefinitionFamily(settings);
  const passedRoles = [settings.ecs.executionRoleArn, ...(settings.ecs.taskRoleArn === undefined ? [] : [settings.ecs.taskRoleArn])];

  const statements: PolicyStatement[] = [
    {
      Sid: 'InvokeStepFunctions',
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: invokedFunctions.map((key) => ({ 'Fn::GetAtt': [functionLogicalId(key), 'Arn'] })),
    },
    {
      Sid: 'RunCronTask',
      Effect: 'Allow',
      Action: ['ecs:RunTask'],
      Resource: stackArn('ecs', `task-definition/${family}:*`),
      Condition: { ArnEquals: { 'ecs:cluster': cluster.arn } },
    },
    {
      // RunCron tags the task it starts, and ECS authorizes tags on create separately.
      Sid: 'TagCronTaskOnCreate',
      Effect: 'Allow',
      Action: ['ecs:TagResource'],
      Resource: cluster.tasksArn,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    },
    {
      // runTask.sync polls the task and stops it when the state times out or the execution stops.
      Sid: 'WatchAndStopCronTask',
      Effect: 'Allow',
      Action: ['ecs:DescribeTasks', 'ecs:StopTask'],
      Resource: cluster.tasksArn,
    },
    {
      Sid: 'PassTaskRoles',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: passedRoles,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
    {
      // The managed rule through which Step Functions learns that a runTask.sync task stopped.
      Sid: 'ManageEcsSyncRule',
      Effect: 'Allow',
      Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      Resource: stackArn('events', 'rule/StepFunctionsGetEventsForECSTaskRule'),
    },
    {
      // Step Functions sets up log delivery with the role, and these actions take no resource.
      Sid: 'DeliverExecutionLogs',
      Effect: 'Allow',
      Action: [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ],
      Resource: '*',
    },
  ];
  if (settings.tracing) {
    statements.push({
      Sid: 'SendTraces',
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      Resource: '*',
    });
  }
  return statements;
}
