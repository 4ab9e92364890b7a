import { ENVIRONMENT_VARIABLES, readRuntimeConfig, type RuntimeConfig } from '../functions/shared/config.ts';

/**
 * Settings of the local stand-ins for the ECS cluster and network, which the local runner never
 * uses but the workflow passes to RunCron as in AWS.
 */
const LOCAL_TASK_ENVIRONMENT = {
  [ENVIRONMENT_VARIABLES.cluster]: 'cronlock-local',
  [ENVIRONMENT_VARIABLES.taskDefinition]: 'whmcs-cron-local',
  [ENVIRONMENT_VARIABLES.subnets]: 'subnet-local',
  [ENVIRONMENT_VARIABLES.securityGroups]: 'sg-local',
};

export interface LocalConfigOptions {
  readonly table?: string | undefined;
  /** Extra CRONLOCK_* variables, such as shorter stop grace and margin for tests. */
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

/** Builds the runtime configuration of a local run through the same validation as in Lambda. */
export function localRuntimeConfig(options: LocalConfigOptions = {}): RuntimeConfig {
  return readRuntimeConfig({
    ...LOCAL_TASK_ENVIRONMENT,
    ...(options.table === undefined ? {} : { [ENVIRONMENT_VARIABLES.table]: options.table }),
    ...options.environment,
  });
}
