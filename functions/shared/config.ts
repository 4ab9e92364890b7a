import { z } from 'zod';
import { ConfigurationError } from './errors.ts';
import { DEFAULT_TABLE_NAME, TABLE_NAME_PATTERN } from './lease/lease-sql.ts';
import { LOCK_NAME_PATTERN } from './lease/lease-store.ts';
import bundledJobs from '../../config/jobs.json' with { type: 'json' };

/** Defaults of the lease, used when neither the job nor the execution input sets them. */
export const DEFAULT_HOLD_SECONDS = 1800;
export const DEFAULT_MIN_HOLD_SECONDS = 240;
/** Longest lease an execution may ask for: one day. */
export const MAX_HOLD_SECONDS = 86_400;

/** ECS `stopTimeout` default: the time between SIGTERM and SIGKILL when a task is stopped. */
export const DEFAULT_STOP_GRACE_SECONDS = 30;
/** Time kept free at the end of a lease for stopping the task and releasing the lock. */
export const DEFAULT_RUN_MARGIN_SECONDS = 30;
/** Shortest run time a lease must leave for the cron; holds below grace + margin + this are rejected. */
export const DEFAULT_MIN_RUN_SECONDS = 60;

const jobSchema = z.strictObject({
  command: z.array(z.string().min(1)).min(1),
  schedule: z.string().min(1),
  holdSeconds: z.number().int().positive().max(MAX_HOLD_SECONDS).default(DEFAULT_HOLD_SECONDS),
  minHoldSeconds: z.number().int().nonnegative().default(DEFAULT_MIN_HOLD_SECONDS),
  enabled: z.boolean().default(true),
});

export type JobDefinition = z.infer<typeof jobSchema> & { readonly name: string };

/** How the workflow's RunCron state starts the task; every field is deploy configuration. */
export interface TaskSettings {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly containerName: string;
  readonly capacityProvider: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  readonly stopGraceSeconds: number;
  readonly runMarginSeconds: number;
  readonly minRunSeconds: number;
}

export interface RuntimeConfig {
  readonly table: string;
  readonly jobs: Readonly<Record<string, JobDefinition>>;
  readonly task: TaskSettings;
}

/** Environment variables read by the Lambda functions, set by serverless.yml. */
export const ENVIRONMENT_VARIABLES = {
  table: 'CRONLOCK_TABLE',
  jobs: 'CRONLOCK_JOBS',
  cluster: 'CRONLOCK_ECS_CLUSTER',
  taskDefinition: 'CRONLOCK_ECS_TASK_DEFINITION',
  containerName: 'CRONLOCK_ECS_CONTAINER',
  capacityProvider: 'CRONLOCK_ECS_CAPACITY_PROVIDER',
  subnets: 'CRONLOCK_ECS_SUBNETS',
  securityGroups: 'CRONLOCK_ECS_SECURITY_GROUPS',
  assignPublicIp: 'CRONLOCK_ECS_ASSIGN_PUBLIC_IP',
  stopGraceSeconds: 'CRONLOCK_ECS_STOP_GRACE_SECONDS',
  runMarginSeconds: 'CRONLOCK_RUN_MARGIN_SECONDS',
  minRunSeconds: 'CRONLOCK_MIN_RUN_SECONDS',
} as const;

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the runtime configuration once. Jobs come from CRONLOCK_JOBS (JSON) when
 * set, else from config/jobs.json bundled into the function. Throws ConfigurationError naming the
 * variable to set.
 */
export function readRuntimeConfig(environment: Environment = process.env): RuntimeConfig {
  const names = ENVIRONMENT_VARIABLES;
  const table = environment[names.table] ?? DEFAULT_TABLE_NAME;
  if (!TABLE_NAME_PATTERN.test(table)) {
    throw new ConfigurationError(names.table, `"${table}" is not a valid table name; use 1 to 64 letters, digits or underscores, not starting with a digit`);
  }

  const task: TaskSettings = {
    cluster: requireSetting(environment, names.cluster),
    taskDefinition: requireSetting(environment, names.taskDefinition),
    containerName: environment[names.containerName] ?? 'whmcs',
    capacityProvider: environment[names.capacityProvider] ?? 'FARGATE',
    subnets: listSetting(environment, names.subnets),
    securityGroups: listSetting(environment, names.securityGroups),
    assignPublicIp: readAssignPublicIp(environment),
    stopGraceSeconds: secondsSetting(environment, names.stopGraceSeconds, DEFAULT_STOP_GRACE_SECONDS),
    runMarginSeconds: secondsSetting(environment, names.runMarginSeconds, DEFAULT_RUN_MARGIN_SECONDS),
    minRunSeconds: secondsSetting(environment, names.minRunSeconds, DEFAULT_MIN_RUN_SECONDS),
  };
  if (task.subnets.length === 0) {
    throw new ConfigurationError(names.subnets, 'no subnet is set; list the subnets of the WHMCS tasks, separated by commas');
  }

  return deepFreeze({ table, jobs: readJobs(environment), task });
}

/** Validates a jobs object (the shape of config/jobs.json) and names each job. */
export function parseJobs(value: unknown, source: string): Record<string, JobDefinition> {
  const parsed = z.record(z.string(), jobSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new ConfigurationError(source, `job settings are invalid at "${where}": ${issue?.message ?? 'unknown error'}`);
  }
  const jobs: Record<string, JobDefinition> = {};
  for (const [name, job] of Object.entries(parsed.data)) {
    if (!LOCK_NAME_PATTERN.test(name) || name.length > 64) {
      throw new ConfigurationError(source, `job name "${name}" is not allowed; use lowercase letters, digits, "-" or "_", starting with a letter`);
    }
    if (job.minHoldSeconds > job.holdSeconds) {
      throw new ConfigurationError(source, `job "${name}" has minHoldSeconds ${job.minHoldSeconds} over holdSeconds ${job.holdSeconds}`);
    }
    jobs[name] = { ...job, name };
  }
  if (Object.keys(jobs).length === 0) {
    throw new ConfigurationError(source, 'no job is configured; add at least "cron"');
  }
  return jobs;
}

function readJobs(environment: Environment): Record<string, JobDefinition> {
  const text = environment[ENVIRONMENT_VARIABLES.jobs];
  if (text === undefined) {
    return parseJobs(bundledJobs, 'config/jobs.json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(ENVIRONMENT_VARIABLES.jobs, 'is not valid JSON', { cause: error });
  }
  return parseJobs(value, ENVIRONMENT_VARIABLES.jobs);
}

function requireSetting(environment: Environment, name: string): string {
  const value = environment[name]?.trim();
  if (!value) {
    throw new ConfigurationError(name, 'is not set; set it in serverless.yml (custom.cronlock) or in the environment');
  }
  return value;
}

function listSetting(environment: Environment, name: string): string[] {
  return (environment[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function secondsSetting(environment: Environment, name: string, defaultSeconds: number): number {
  const text = environment[name];
  if (text === undefined || text === '') {
    return defaultSeconds;
  }
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    throw new ConfigurationError(name, `"${text}" is not a whole number of seconds from 0 to 3600`);
  }
  return seconds;
}

function readAssignPublicIp(environment: Environment): 'ENABLED' | 'DISABLED' {
  const value = environment[ENVIRONMENT_VARIABLES.assignPublicIp] ?? 'DISABLED';
  if (value !== 'ENABLED' && value !== 'DISABLED') {
    throw new ConfigurationError(ENVIRONMENT_VARIABLES.assignPublicIp, `"${value}" is not ENABLED or DISABLED`);
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}
