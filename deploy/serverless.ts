import { ConfigurationError } from '../functions/shared/errors.ts';
import { ENVIRONMENT_VARIABLES, readRuntimeConfig, type RuntimeConfig } from '../functions/shared/config.ts';
import { alarmTopic, noSuccessAlarms, stateMachineAlarms, topicResources } from './alarms.ts';
import { functionsCalledBy } from './definition.ts';
import { buildFunctionRoles, buildScheduleRole, buildStateMachineRole } from './iam.ts';
import { TASK_LOG_VARIABLES } from '../functions/release-lock/release.ts';
import { LOCK_STORE_BACKEND_VARIABLE, type LockStoreBackend } from '../functions/shared/store/lock-store-backend.ts';
import { SCHEDULE_ROLE_LOGICAL_ID, STATE_MACHINE_LOG_GROUP_LOGICAL_ID, STATE_MACHINE_ROLE_LOGICAL_ID } from './naming.ts';
import { buildSchedules } from './schedules.ts';
import { DeploySettingsError, parseStageSettings, type StageSettings } from './stage-settings.ts';

/**
 * Everything serverless.yml takes from the stage settings and config/jobs.json, validated once
 * when the Serverless Framework resolves `custom.cronlock`. A missing or invalid setting stops
 * `serverless package` and `serverless deploy` before anything is built or uploaded.
 */

/** Stage names become part of file, function, role and alarm names, so they stay short and plain. */
const STAGE_NAME_PATTERN = /^[A-Za-z0-9-]{1,32}$/;

/** Returns the path of a stage's settings file, relative to the service directory. */
export function stageSettingsPath(stage: string): string {
  return `config/stages/${stage}.yml`;
}

/** The arguments that the Serverless Framework passes to a variable resolver function. */
export interface VariableResolverArguments {
  readonly options: Readonly<Record<string, unknown>>;
  readonly resolveVariable: (variable: string) => Promise<unknown>;
}

/** The workflow definition, which serverless.yml also loads. */
export const DEFINITION_PATH = 'statemachines/cronlock.asl.yaml';

/**
 * Maximum timeout of a Lambda function, which bounds how long the reclaim function may wait for a
 * stopping task.
 */
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
/** Time the reclaim function keeps for its ECS and database calls besides the wait. */
const RECLAIM_CALLS_SECONDS = 60;

export interface DeploymentInput {
  readonly service: string;
  readonly stage: string;
  /** The parsed stage settings file with its Serverless variables resolved, or null when it is missing. */
  readonly stageSettings: unknown;
  /** The parsed workflow definition. */
  readonly definition: unknown;
  /** The --region option, which must match the stage's region when given. */
  readonly regionOption?: unknown;
}

export interface CronlockDeployment {
  readonly stage: string;
  readonly region: string;
  readonly stateMachineName: string;
  readonly tracing: boolean;
  readonly logRetentionDays: number;
  /** Existing S3 bucket for the deployment artifacts, or null for the one the framework creates. */
  readonly deploymentBucket: { readonly name: string } | null;
  /** Timeout of the reclaim function: the stop grace and run margin it may wait, plus its calls. */
  readonly reclaimTimeoutSeconds: number;
  /** Environment of every function: the runtime configuration that readRuntimeConfig reads. */
  readonly environment: Readonly<Record<string, string>>;
  /** Extra environment of the functions that reach the lock table. */
  readonly databaseEnvironment: Readonly<Record<string, string>>;
  /** VPC of the functions that reach the lock table, only for a direct MySQL connection. */
  readonly databaseVpc: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] } | null;
  /**
   * The esbuild `define` of every function bundle: the stage's lock store backend as a constant,
   * so that the bundles leave out the code of the other backend (mysql2 on a Data API stage).
   */
  readonly esbuildDefine: Readonly<Record<string, string>>;
  readonly schedules: readonly unknown[];
  readonly stateMachineAlarms: unknown;
  readonly resources: { readonly Resources: Record<string, unknown>; readonly Outputs: Record<string, unknown> };
}

/** Resolves `custom.cronlock`: reads the stage settings through the Serverless variable resolver. */
export async function resolveCronlockDeployment({ options, resolveVariable }: VariableResolverArguments): Promise<CronlockDeployment> {
  const service = String(await resolveVariable('self:service'));
  const stage = String(await resolveVariable('sls:stage'));
  if (!STAGE_NAME_PATTERN.test(stage)) {
    throw new DeploySettingsError('the --stage option', [`stage "${stage}" is not allowed; use 1 to 32 letters, digits or "-"`]);
  }
  // ", null" makes a missing file resolve to null, so that the error can name the file to create.
  const stageSettings = await resolveVariable(`file(./${stageSettingsPath(stage)}), null`);
  const definition = await resolveVariable(`file(./${DEFINITION_PATH})`);
  return buildDeployment({ service, stage, stageSettings, definition, regionOption: options['region'] });
}

/** Builds the deployment from the stage settings and the jobs. It has no I/O, so tests call it directly. */
export function buildDeployment(input: DeploymentInput): CronlockDeployment {
  const { service, stage } = input;
  const source = stageSettingsPath(stage);
  const settings = parseStageSettings(input.stageSettings, source);
  if (input.regionOption !== undefined && input.regionOption !== null && input.regionOption !== settings.region) {
    throw new DeploySettingsError(source, [`region is ${settings.region}, but --region ${JSON.stringify(input.regionOption)} was given; drop --region or deploy another stage`]);
  }

  const reclaimTimeoutSeconds = settings.ecs.stopGraceSeconds + settings.ecs.runMarginSeconds + RECLAIM_CALLS_SECONDS;
  if (reclaimTimeoutSeconds > MAX_LAMBDA_TIMEOUT_SECONDS) {
    throw new DeploySettingsError(source, [
      `ecs.stopGraceSeconds + ecs.runMarginSeconds is ${reclaimTimeoutSeconds - RECLAIM_CALLS_SECONDS} seconds; the reclaim function waits that long for a stopping task within Lambda's ${MAX_LAMBDA_TIMEOUT_SECONDS}-second limit, so keep the sum at ${MAX_LAMBDA_TIMEOUT_SECONDS - RECLAIM_CALLS_SECONDS} or less`,
    ]);
  }

  const environment = lambdaEnvironment(settings);
  const config = validateRuntimeConfig(environment, source);
  const enabledJobs = Object.values(config.jobs).filter((job) => job.enabled);
  const invokedFunctions = functionsCalledBy(input.definition, DEFINITION_PATH);
  const context = { service, stage, settings };

  const resources: Record<string, unknown> = {
    ...buildFunctionRoles(context),
    [STATE_MACHINE_ROLE_LOGICAL_ID]: buildStateMachineRole(context, invokedFunctions),
    [SCHEDULE_ROLE_LOGICAL_ID]: buildScheduleRole(context),
    [STATE_MACHINE_LOG_GROUP_LOGICAL_ID]: {
      Type: 'AWS::Logs::LogGroup',
      Properties: {
        // The /aws/vendedlogs/ prefix keeps log delivery from growing the account's
        // CloudWatch Logs resource policy with one entry per state machine.
        LogGroupName: `/aws/vendedlogs/states/${service}-${stage}`,
        RetentionInDays: settings.logRetentionDays,
      },
    },
    ...topicResources(context),
    ...noSuccessAlarms(context, enabledJobs),
  };

  return {
    stage,
    region: settings.region,
    stateMachineName: `${service}-${stage}`,
    tracing: settings.tracing,
    logRetentionDays: settings.logRetentionDays,
    deploymentBucket: settings.deploymentBucket === undefined ? null : { name: settings.deploymentBucket },
    reclaimTimeoutSeconds,
    environment,
    databaseEnvironment: databaseEnvironment(settings),
    databaseVpc: settings.database.vpc === undefined ? null : { subnetIds: settings.database.vpc.subnets, securityGroupIds: settings.database.vpc.securityGroups },
    esbuildDefine: { [`process.env.${LOCK_STORE_BACKEND_VARIABLE}`]: JSON.stringify(lockStoreBackend(settings)) },
    schedules: buildSchedules(context, enabledJobs),
    stateMachineAlarms: stateMachineAlarms(context),
    resources: {
      Resources: resources,
      Outputs: {
        AlarmTopicArn: { Description: 'SNS topic that the cronlock alarms notify', Value: alarmTopic(settings) },
      },
    },
  };
}

function lambdaEnvironment(settings: StageSettings): Record<string, string> {
  const names = ENVIRONMENT_VARIABLES;
  const { ecs } = settings;
  return {
    [names.table]: settings.database.table,
    [names.cluster]: ecs.cluster,
    [names.taskDefinition]: ecs.taskDefinition,
    [names.containerName]: ecs.containerName,
    [names.capacityProvider]: ecs.capacityProvider,
    [names.subnets]: ecs.subnets.join(','),
    [names.securityGroups]: ecs.securityGroups.join(','),
    [names.assignPublicIp]: ecs.assignPublicIp,
    [names.stopGraceSeconds]: String(ecs.stopGraceSeconds),
    [names.runMarginSeconds]: String(ecs.runMarginSeconds),
    [names.minRunSeconds]: String(ecs.minRunSeconds),
    ...(ecs.logGroup === undefined ? {} : { [TASK_LOG_VARIABLES.logGroup]: ecs.logGroup }),
    ...(ecs.logStreamPrefix === undefined ? {} : { [TASK_LOG_VARIABLES.streamPrefix]: ecs.logStreamPrefix }),
    // The Powertools Logger reads its level from here; the service name is set in the code.
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
  };
}

/** Returns the backend that the stage's database settings select: a MySQL URL or the RDS Data API. */
function lockStoreBackend(settings: StageSettings): LockStoreBackend {
  return settings.database.url === undefined ? 'data-api' : 'mysql';
}

function databaseEnvironment(settings: StageSettings): Record<string, string> {
  const names = ENVIRONMENT_VARIABLES;
  const { database } = settings;
  if (database.url !== undefined) {
    return { [names.databaseUrl]: database.url };
  }
  return {
    [names.dataApiClusterArn]: database.clusterArn ?? '',
    [names.dataApiSecretArn]: database.secretArn ?? '',
    [names.databaseName]: database.name ?? '',
  };
}

/** The stage settings key behind each environment variable, for errors found by readRuntimeConfig. */
const SETTING_KEYS: Readonly<Record<string, string>> = {
  [ENVIRONMENT_VARIABLES.table]: 'database.table',
  [ENVIRONMENT_VARIABLES.cluster]: 'ecs.cluster',
  [ENVIRONMENT_VARIABLES.taskDefinition]: 'ecs.taskDefinition',
  [ENVIRONMENT_VARIABLES.containerName]: 'ecs.containerName',
  [ENVIRONMENT_VARIABLES.capacityProvider]: 'ecs.capacityProvider',
  [ENVIRONMENT_VARIABLES.subnets]: 'ecs.subnets',
  [ENVIRONMENT_VARIABLES.securityGroups]: 'ecs.securityGroups',
  [ENVIRONMENT_VARIABLES.assignPublicIp]: 'ecs.assignPublicIp',
  [ENVIRONMENT_VARIABLES.stopGraceSeconds]: 'ecs.stopGraceSeconds',
  [ENVIRONMENT_VARIABLES.runMarginSeconds]: 'ecs.runMarginSeconds',
  [ENVIRONMENT_VARIABLES.minRunSeconds]: 'ecs.minRunSeconds',
};

/**
 * Runs the Lambda functions' own configuration check on the environment they will get, so that
 * packaging fails on every value that would fail a cold start, including the jobs.
 */
function validateRuntimeConfig(environment: Readonly<Record<string, string>>, source: string): RuntimeConfig {
  try {
    return readRuntimeConfig(environment);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) {
      throw error;
    }
    const key = SETTING_KEYS[error.setting];
    throw key === undefined
      ? new DeploySettingsError(error.setting, [error.message])
      : new DeploySettingsError(source, [`${key}: ${error.message}`]);
  }
}
