import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '../../functions/shared/config.ts';
import { TASK_LOG_VARIABLES } from '../../functions/release-lock/release.ts';
import { noSuccessAlarmLogicalId } from '../../deploy/naming.ts';
import { buildSchedules } from '../../deploy/schedules.ts';
import { buildDeployment, resolveCronlockDeployment, type DeploymentInput } from '../../deploy/serverless.ts';
import { DeploySettingsError } from '../../deploy/stage-settings.ts';
import { FIXTURES_DIRECTORY, PROJECT_DIRECTORY } from './package-service.ts';
import { statementsAllowing, statementsOf, type RoleProperties } from './template.ts';

type Settings = Record<string, unknown> & { ecs: Record<string, unknown>; database: Record<string, unknown> };

const FIXTURE = parseYaml(readFileSync(join(FIXTURES_DIRECTORY, 'stage-settings.yml'), 'utf8')) as Settings;
const DEFINITION = parseYaml(readFileSync(join(PROJECT_DIRECTORY, 'statemachines/cronlock.asl.yaml'), 'utf8')) as unknown;

/** A copy of the fixture settings with some groups or keys replaced. */
function settingsWith(changes: { ecs?: Record<string, unknown>; database?: Record<string, unknown>; top?: Record<string, unknown> }): Settings {
  return {
    ...FIXTURE,
    ...changes.top,
    ecs: { ...FIXTURE.ecs, ...changes.ecs },
    database: { ...FIXTURE.database, ...changes.database },
  };
}

function build(stageSettings: unknown, overrides: Partial<DeploymentInput> = {}) {
  return buildDeployment({ service: 'cronlock', stage: 'ci', stageSettings, definition: DEFINITION, ...overrides });
}

/** Asserts that building fails with DeploySettingsError carrying each part in its message. */
function expectRejected(stageSettings: unknown, ...messageParts: string[]): void {
  expect(() => build(stageSettings)).toThrow(DeploySettingsError);
  for (const part of messageParts) {
    expect(() => build(stageSettings)).toThrow(part);
  }
}

function role(deployment: ReturnType<typeof build>, logicalId: string): RoleProperties {
  const found = deployment.resources.Resources[logicalId] as { Properties: RoleProperties } | undefined;
  if (found === undefined) {
    throw new Error(`No resource ${logicalId}`);
  }
  return found.Properties;
}

describe('buildDeployment', () => {
  it('builds the Lambda environment from the settings', () => {
    const deployment = build(FIXTURE);

    expect(deployment.region).toBe('eu-west-1');
    expect(deployment.stateMachineName).toBe('cronlock-ci');
    expect(deployment.environment).toMatchObject({
      [ENVIRONMENT_VARIABLES.table]: 'tblcronlock_test',
      [ENVIRONMENT_VARIABLES.cluster]: 'whmcs-test',
      [ENVIRONMENT_VARIABLES.taskDefinition]: 'whmcs-cron:7',
      [ENVIRONMENT_VARIABLES.containerName]: 'whmcs',
      [ENVIRONMENT_VARIABLES.capacityProvider]: 'FARGATE',
      [ENVIRONMENT_VARIABLES.securityGroups]: 'sg-0bbbbbbbbbbbbbbb1',
      [ENVIRONMENT_VARIABLES.assignPublicIp]: 'DISABLED',
      [ENVIRONMENT_VARIABLES.stopGraceSeconds]: '45',
      [ENVIRONMENT_VARIABLES.runMarginSeconds]: '30',
      [ENVIRONMENT_VARIABLES.minRunSeconds]: '60',
    });
    expect(deployment.databaseEnvironment).toEqual({
      [ENVIRONMENT_VARIABLES.dataApiClusterArn]: 'arn:aws:rds:eu-west-1:111122223333:cluster:whmcs-test',
      [ENVIRONMENT_VARIABLES.dataApiSecretArn]: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:whmcs-test/cronlock-Xy12Za',
      [ENVIRONMENT_VARIABLES.databaseName]: 'whmcs',
    });
    expect(deployment.databaseVpc).toBeNull();
    expect(deployment.reclaimTimeoutSeconds).toBe(45 + 30 + 60);
    expect(deployment.esbuildDefine).toEqual({ 'process.env.CRONLOCK_LOCK_STORE_BACKEND': '"data-api"' });
  });

  it('schedules and watches each bundled job', () => {
    const deployment = build(FIXTURE);
    const inputs = deployment.schedules.map((event) => (event as { schedule: { input: unknown } }).schedule.input);

    expect(inputs).toEqual([{ job: 'cron' }, { job: 'pop' }]);
    expect(Object.keys(deployment.resources.Resources)).toEqual(expect.arrayContaining(['CronNoSuccessAlarm', 'PopNoSuccessAlarm', 'CronlockAlarmTopic']));
  });

  it('accepts the example settings file', () => {
    const example = parseYaml(readFileSync(join(PROJECT_DIRECTORY, 'config/stages/example.yml'), 'utf8')) as unknown;
    const deployment = build(example, { stage: 'example' });

    expect(deployment.stateMachineName).toBe('cronlock-example');
    expect(deployment.resources.Resources['CronlockAlarmEmailSubscription']).toBeDefined();
  });

  it('passes the task log settings for summary links', () => {
    const example = parseYaml(readFileSync(join(PROJECT_DIRECTORY, 'config/stages/example.yml'), 'utf8')) as { ecs: Record<string, unknown> };
    const deployment = build(example, { stage: 'example' });

    expect(deployment.environment[TASK_LOG_VARIABLES.logGroup]).toBe(example.ecs['logGroup']);
    expect(deployment.environment[TASK_LOG_VARIABLES.streamPrefix]).toBe(example.ecs['logStreamPrefix']);
  });

  it('fills in the defaults of optional settings', () => {
    const minimal = {
      region: 'eu-west-1',
      ecs: {
        cluster: 'whmcs',
        taskDefinition: 'whmcs',
        subnets: ['subnet-0aaaaaaaaaaaaaaa1'],
        securityGroups: ['sg-0bbbbbbbbbbbbbbb1'],
        executionRoleArn: 'arn:aws:iam::111122223333:role/whmcs-execution',
      },
      database: FIXTURE.database,
    };
    const deployment = build({ ...minimal, database: { ...FIXTURE.database, table: undefined } });

    expect(deployment.environment[ENVIRONMENT_VARIABLES.table]).toBe('tblcronlock');
    expect(deployment.environment[ENVIRONMENT_VARIABLES.containerName]).toBe('whmcs');
    expect(deployment.environment[ENVIRONMENT_VARIABLES.capacityProvider]).toBe('FARGATE');
    expect(deployment.environment[ENVIRONMENT_VARIABLES.stopGraceSeconds]).toBe('30');
    expect(deployment.environment['POWERTOOLS_LOG_LEVEL']).toBe('INFO');
    expect(deployment.environment[TASK_LOG_VARIABLES.logGroup]).toBeUndefined();
    expect(deployment.logRetentionDays).toBe(30);
    expect(deployment.tracing).toBe(false);
  });
});

describe('buildDeployment rejects', () => {
  it('a missing settings file', () => {
    expectRejected(null, 'config/stages/ci.yml', 'copy config/stages/example.yml');
  });

  it('missing required settings by key', () => {
    expectRejected({ ecs: {}, database: {} },
      'region is missing',
      'ecs.cluster is missing',
      'ecs.taskDefinition is missing',
      'ecs.subnets is missing',
      'ecs.securityGroups is missing',
      'ecs.executionRoleArn is missing',
      'database.clusterArn is missing',
      'database.secretArn is missing',
      'database.name is missing');
    expectRejected({ region: 'eu-west-1' }, 'ecs is missing', 'database is missing');
  });

  it('misspelt settings', () => {
    expectRejected(settingsWith({ ecs: { subnet: ['subnet-0aaaaaaaaaaaaaaa1'] } }), 'subnet: unknown setting at ecs');
    expectRejected(settingsWith({ top: { tracng: true } }), 'tracng: unknown setting at the top level');
  });

  it('malformed values', () => {
    expectRejected(settingsWith({ ecs: { subnets: ['subnet-xyz'] } }), 'ecs.subnets.0 must be subnet ID');
    expectRejected(settingsWith({ ecs: { securityGroups: [] } }), 'ecs.securityGroups must list at least one');
    expectRejected(settingsWith({ ecs: { assignPublicIp: 'yes' } }), 'ecs.assignPublicIp must be ENABLED or DISABLED');
    expectRejected(settingsWith({ ecs: { stopGraceSeconds: 2.5 } }), 'ecs.stopGraceSeconds must be a whole number of seconds');
    expectRejected(settingsWith({ ecs: { cluster: 'whmcs cluster' } }), 'ecs.cluster must be an ECS cluster name or ARN');
    expectRejected(settingsWith({ ecs: { executionRoleArn: 'whmcs-execution' } }), 'ecs.executionRoleArn must be the ARN of an IAM role');
    expectRejected(settingsWith({ database: { table: 'tbl-cronlock' } }), 'database.table must be 1 to 64 letters, digits or underscores');
    expectRejected(settingsWith({ database: { secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:whmcs' } }), 'database.secretArn must be the full ARN', '6-character suffix');
    expectRejected(settingsWith({ top: { logRetentionDays: 10 } }), 'logRetentionDays must be one of 1, 3, 5');
    expectRejected(settingsWith({ top: { region: 'Europe' } }), 'region must be an AWS Region');
  });

  it('ARNs of another Region', () => {
    expectRejected(settingsWith({ database: { clusterArn: 'arn:aws:rds:us-east-1:111122223333:cluster:whmcs-test' } }),
      'database.clusterArn is in Region us-east-1, but the stage deploys to eu-west-1');
  });

  it('a --region option that differs', () => {
    expect(() => build(FIXTURE, { regionOption: 'us-east-1' })).toThrow('--region "us-east-1" was given');
    expect(build(FIXTURE, { regionOption: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(build(FIXTURE, { regionOption: null }).region).toBe('eu-west-1');
  });

  it('a MySQL URL beside the Data API', () => {
    expectRejected(settingsWith({ database: { url: 'mysql://cronlock:x@db.internal:3306/whmcs' } }), 'database.clusterArn cannot be set together with url');
  });

  it('a MySQL URL without VPC or database', () => {
    const urlOnly = { ...FIXTURE, database: { url: 'mysql://cronlock:x@db.internal:3306' } };

    expectRejected(urlOnly, 'database.url must be a MySQL URL', 'database.vpc is missing');
  });

  it('holds shorter than grace, margin and run', () => {
    expectRejected(settingsWith({ ecs: { minRunSeconds: 1790 } }), 'config/jobs.json', 'job "cron" has holdSeconds 1800, below 1865');
  });

  it('a stop wait longer than the reclaim function may run', () => {
    expectRejected(settingsWith({ ecs: { stopGraceSeconds: 800, runMarginSeconds: 41 } }), 'ecs.stopGraceSeconds + ecs.runMarginSeconds is 841 seconds', 'at 840 or less');
  });

  it('a definition that calls an unknown function', () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Task', Resource: { 'Fn::GetAtt': ['BackupLambdaFunction', 'Arn'] }, End: true } } };

    expect(() => build(FIXTURE, { definition })).toThrow('the definition calls BackupLambdaFunction, which serverless.yml does not define');
  });
});

describe('buildDeployment options', () => {
  it('MySQL URL puts the lock functions in the VPC', () => {
    const deployment = build({
      ...FIXTURE,
      database: {
        url: 'mysql://cronlock:placeholder@whmcs-db.internal:3306/whmcs',
        vpc: { subnets: ['subnet-0ccccccccccccccc1'], securityGroups: ['sg-0ddddddddddddddd1'] },
      },
    });

    expect(deployment.databaseEnvironment).toEqual({ [ENVIRONMENT_VARIABLES.databaseUrl]: 'mysql://cronlock:placeholder@whmcs-db.internal:3306/whmcs' });
    expect(deployment.databaseVpc).toEqual({ subnetIds: ['subnet-0ccccccccccccccc1'], securityGroupIds: ['sg-0ddddddddddddddd1'] });
    expect(deployment.esbuildDefine).toEqual({ 'process.env.CRONLOCK_LOCK_STORE_BACKEND': '"mysql"' });
    const acquire = role(deployment, 'AcquireLockRole');
    expect(statementsAllowing(acquire, 'rds-data:ExecuteStatement')).toEqual([]);
    expect(statementsAllowing(acquire, 'ec2:CreateNetworkInterface')).toHaveLength(1);
    expect(statementsAllowing(role(deployment, 'ResolveSettingsRole'), 'ec2:CreateNetworkInterface')).toEqual([]);
  });

  it('existing topic replaces the created one', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:ops-alarms';
    const deployment = build(settingsWith({ top: { alarms: { topicArn } } }));
    const alarm = deployment.resources.Resources[noSuccessAlarmLogicalId('cron')] as { Properties: { AlarmActions: unknown[] } };

    expect(deployment.resources.Resources['CronlockAlarmTopic']).toBeUndefined();
    expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
    expect(deployment.resources.Outputs['AlarmTopicArn']).toEqual(expect.objectContaining({ Value: topicArn }));
    expect(deployment.stateMachineAlarms).toEqual(expect.objectContaining({ topics: { alarm: topicArn, ok: topicArn } }));
  });

  it('email subscribes to the topic', () => {
    const deployment = build(settingsWith({ top: { alarms: { email: 'ops@example.com' } } }));

    expect(deployment.resources.Resources['CronlockAlarmEmailSubscription']).toEqual({
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: 'CronlockAlarmTopic' } },
    });
  });

  it('tracing lets the state machine send traces', () => {
    const deployment = build(settingsWith({ top: { tracing: true } }));

    expect(deployment.tracing).toBe(true);
    expect(statementsAllowing(role(deployment, 'CronlockStateMachineRole'), 'xray:PutTraceSegments')).toHaveLength(1);
  });

  it('permissions boundary applies to every role', () => {
    const boundary = 'arn:aws:iam::111122223333:policy/platform-boundary';
    const deployment = build(settingsWith({ top: { permissionsBoundaryArn: boundary } }));
    const roles = Object.values(deployment.resources.Resources).filter((candidate) => (candidate as { Type: string }).Type === 'AWS::IAM::Role');

    expect(roles).toHaveLength(9);
    for (const candidate of roles) {
      expect((candidate as { Properties: RoleProperties }).Properties.PermissionsBoundary).toBe(boundary);
    }
  });

  it('cluster ARN scopes tasks in its account', () => {
    const clusterArn = 'arn:aws:ecs:eu-west-1:444455556666:cluster/whmcs';
    const deployment = build(settingsWith({ ecs: { cluster: clusterArn, taskDefinition: 'arn:aws:ecs:eu-west-1:444455556666:task-definition/whmcs-cron:3' } }));
    const statements = statementsOf(role(deployment, 'CronlockStateMachineRole'));
    const runTask = statements.find((statement) => statement.Sid === 'RunCronTask');

    expect(runTask?.Condition).toEqual({ ArnEquals: { 'ecs:cluster': clusterArn } });
    expect(runTask?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/whmcs-cron:*' });
    expect(statements.find((statement) => statement.Sid === 'WatchAndStopCronTask')?.Resource).toBe('arn:aws:ecs:eu-west-1:444455556666:task/whmcs/*');
  });
});

describe('resolveCronlockDeployment', () => {
  function resolver(stage: string, files: Record<string, unknown>) {
    const requested: string[] = [];
    const resolveVariable = (variable: string): Promise<unknown> => {
      requested.push(variable);
      if (variable === 'self:service') {
        return Promise.resolve('cronlock');
      }
      if (variable === 'sls:stage') {
        return Promise.resolve(stage);
      }
      return Promise.resolve(files[variable] ?? null);
    };
    return { requested, resolveVariable };
  }

  it('reads the stage file and the definition through Serverless variables', async () => {
    const { requested, resolveVariable } = resolver('ci', {
      'file(./config/stages/ci.yml), null': FIXTURE,
      'file(./statemachines/cronlock.asl.yaml)': DEFINITION,
    });
    const deployment = await resolveCronlockDeployment({ options: { region: 'eu-west-1' }, resolveVariable });

    expect(deployment.stage).toBe('ci');
    expect(requested).toContain('file(./config/stages/ci.yml), null');
  });

  it('rejects stage names that are not plain', async () => {
    const { resolveVariable } = resolver('../secrets', {});

    await expect(resolveCronlockDeployment({ options: {}, resolveVariable })).rejects.toThrow('stage "../secrets" is not allowed');
  });
});

describe('buildSchedules', () => {
  it('writes no quotes into names and descriptions', () => {
    const [event] = buildSchedules({ service: 'cronlock', stage: 'prod' }, [
      { name: 'cron', command: ['php', '-q', 'crons/cron.php'], schedule: 'rate(5 minutes)', holdSeconds: 1800, minHoldSeconds: 240, noSuccessAlarmMinutes: 120, enabled: true },
    ]);

    expect(event?.schedule.name).toBe('cronlock-prod-cron');
    expect(JSON.stringify(event?.schedule.description)).not.toMatch(/\\"/);
  });

  it('leaves out names longer than EventBridge allows', () => {
    const [event] = buildSchedules({ service: 'cronlock', stage: 'x'.repeat(32) }, [
      { name: 'y'.repeat(30), command: ['php'], schedule: 'rate(5 minutes)', holdSeconds: 1800, minHoldSeconds: 240, noSuccessAlarmMinutes: 120, enabled: true },
    ]);

    expect(event?.schedule).not.toHaveProperty('name');
  });
});

describe('noSuccessAlarmLogicalId', () => {
  it('spells out characters logical IDs cannot hold', () => {
    expect(noSuccessAlarmLogicalId('cron')).toBe('CronNoSuccessAlarm');
    expect(noSuccessAlarmLogicalId('a-b')).toBe('ADashbNoSuccessAlarm');
    expect(noSuccessAlarmLogicalId('a_b')).toBe('AUnderscorebNoSuccessAlarm');
  });
});
