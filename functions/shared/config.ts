import * as z from './zod.ts';
import { ConfigurationError } from './errors.ts';
import { DEFAULT_TABLE_NAME, LOCK_NAME_MAX_LENGTH, TABLE_NAME_PATTERN } from './lease/lease-sql.ts';
import { LOCK_NAME_PATTERN } from './lease/lease-store.ts';
import bundledJobs from '../../config/jobs.json' with { type: 'json' };

/** Defaults of the lease, used when neither the job nor the execution input sets them. */
export const DEFAULT_HOLD_SECONDS = 1800;
export const DEFAULT_MIN_HOLD_SECONDS = 240;
/** Maximum lease an execution may request: one day. */
export const MAX_HOLD_SECONDS = 86_400;

/** ECS `stopTimeout` default: the time between SIGTERM and SIGKILL when a task is stopped. */
export const DEFAULT_STOP_GRACE_SECONDS = 30;
/** Time kept free at the end of a lease for stopping the task and releasing the lock. */
export const DEFAULT_RUN_MARGIN_SECONDS = 30;
/** Shortest run time a lease must leave for the cron; holds below grace + margin + this are rejected. */
export const DEFAULT_MIN_RUN_SECONDS = 60;

/** Schedule of a job that sets none: every 5 minutes, the interval WHMCS documents for its cron. */
export const DEFAULT_SCHEDULE = 'rate(5 minutes)';

/**
 * EventBridge schedule expressions: `rate(1 minute)`, `rate(N minutes|hours|days)` with a
 * singular unit for 1 only, or `cron(...)` with its six fields. EventBridge checks the cron fields
 * themselves when the stack deploys.
 */
const RATE_PATTERN = /^rate\((?:1 (?:minute|hour|day)|(?:[2-9]|[1-9]\d+) (?:minutes|hours|days))\)$/;
const CRON_PATTERN = /^cron\(\S+(?: \S+){5}\)$/;

/** Default time without a successful run after which a job's alarm goes off. */
export const DEFAULT_NO_SUCCESS_ALARM_MINUTES = 120;
/**
 * Limits of the alarm time. CloudWatch evaluates at most one day of periods shorter than an hour
 * and at most seven days in all, so windows up to a day use 5-minute periods and longer ones
 * whole hours.
 */
export const MIN_NO_SUCCESS_ALARM_MINUTES = 10;
export const MAX_NO_SUCCESS_ALARM_MINUTES = 10_080;
const FIVE_MINUTE_PERIODS_UP_TO_MINUTES = 1440;

/** Returns the CloudWatch period, in minutes, of a no-success alarm over the given window. */
export function noSuccessAlarmPeriodMinutes(windowMinutes: number): 5 | 60 {
  return windowMinutes <= FIVE_MINUTE_PERIODS_UP_TO_MINUTES ? 5 : 60;
}

const jobSchema = z.strictObject({
  command: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  schedule: z._default(
    z.string().check(
      z.refine((schedule: string) => RATE_PATTERN.test(schedule) || CRON_PATTERN.test(schedule), {
        error: 'must be an EventBridge schedule expression such as "rate(5 minutes)" or "cron(0 3 * * ? *)"',
      }),
    ),
    DEFAULT_SCHEDULE,
  ),
  holdSeconds: z._default(z.int().check(z.positive(), z.maximum(MAX_HOLD_SECONDS)), DEFAULT_HOLD_SECONDS),
  minHoldSeconds: z._default(z.int().check(z.nonnegative(), z.maximum(MAX_HOLD_SECONDS)), DEFAULT_MIN_HOLD_SECONDS),
  noSuccessAlarmMinutes: z._default(
    z.int().check(z.minimum(MIN_NO_SUCCESS_ALARM_MINUTES), z.maximum(MAX_NO_SUCCESS_ALARM_MINUTES)),
    DEFAULT_NO_SUCCESS_ALARM_MINUTES,
  ),
  enabled: z._default(z.boolean(), true),
});

export type JobDefinition = z.infer<typeof jobSchema> & { readonly name: string };

/** Defaults of the task settings that serverless.yml and the local runner may leave unset. */
export const DEFAULT_CONTAINER_NAME = 'whmcs';
export const DEFAULT_CAPACITY_PROVIDER = 'FARGATE';
export const DEFAULT_ASSIGN_PUBLIC_IP = 'DISABLED';

/** The settings with which the workflow's RunCron state starts the task, all from deploy configuration. */
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

/**
 * Environment variables read by the Lambda functions, set by serverless.yml from the stage
 * settings. The four database variables are read by the lock store executor: either the Data API
 * cluster ARN, secret ARN and database name, or a MySQL URL.
 */
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
  dataApiClusterArn: 'CRONLOCK_DATA_API_CLUSTER_ARN',
  dataApiSecretArn: 'CRONLOCK_DATA_API_SECRET_ARN',
  databaseName: 'CRONLOCK_DATABASE_NAME',
  databaseUrl: 'CRONLOCK_DATABASE_URL',
} as const;

type Environment = Readonly<Record<string, string | undefined>>;

/** Maximum stop grace, margin or shortest run accepted: one hour. */
const MAX_TASK_SECONDS = 3600;

/**
 * Reads and validates the runtime configuration once. Jobs come from CRONLOCK_JOBS (JSON) when
 * set, else from config/jobs.json bundled into the function. Throws ConfigurationError naming the
 * variable to set. Deployment checks the same values when it packages, so in Lambda these errors
 * mean the environment was changed by hand.
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
    containerName: optionalSetting(environment, names.containerName) ?? DEFAULT_CONTAINER_NAME,
    capacityProvider: optionalSetting(environment, names.capacityProvider) ?? DEFAULT_CAPACITY_PROVIDER,
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

  const jobs = readJobs(environment);
  const shortestHoldSeconds = minimumHoldSeconds(task);
  for (const job of Object.values(jobs)) {
    if (job.holdSeconds < shortestHoldSeconds) {
      throw new ConfigurationError(
        environment[names.jobs] === undefined ? 'config/jobs.json' : names.jobs,
        `job "${job.name}" has holdSeconds ${job.holdSeconds}, below ${shortestHoldSeconds} (stop grace ${task.stopGraceSeconds} s + margin ${task.runMarginSeconds} s + shortest run ${task.minRunSeconds} s); raise holdSeconds or lower those settings`,
      );
    }
  }

  return deepFreeze({ table, jobs, task });
}

/**
 * Returns the shortest lease that leaves the cron its shortest run after the stop grace and the
 * margin are taken off.
 */
export function minimumHoldSeconds(task: Pick<TaskSettings, 'stopGraceSeconds' | 'runMarginSeconds' | 'minRunSeconds'>): number {
  return task.stopGraceSeconds + task.runMarginSeconds + task.minRunSeconds;
}

/** Validates a jobs object (the shape of config/jobs.json), fills in the defaults and names each job. */
export function parseJobs(value: unknown, source: string): Record<string, JobDefinition> {
  const parsed = z.record(z.string(), jobSchema).safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `"${issue.path.join('.')}" ${issue.message}`);
    throw new ConfigurationError(source, `job settings are invalid: ${problems.join('; ')}`);
  }

  const jobs: Record<string, JobDefinition> = {};
  for (const [name, job] of Object.entries(parsed.data)) {
    if (!LOCK_NAME_PATTERN.test(name) || name.length > LOCK_NAME_MAX_LENGTH) {
      throw new ConfigurationError(source, `job name "${name}" is not allowed; use 1 to ${LOCK_NAME_MAX_LENGTH} lowercase letters, digits, "-" or "_", starting with a letter`);
    }
    if (job.minHoldSeconds > job.holdSeconds) {
      throw new ConfigurationError(source, `job "${name}" has minHoldSeconds ${job.minHoldSeconds} over holdSeconds ${job.holdSeconds}; lower minHoldSeconds or raise holdSeconds`);
    }
    checkNoSuccessAlarm(source, name, job);
    jobs[name] = { ...job, name };
  }
  if (Object.keys(jobs).length === 0) {
    throw new ConfigurationError(source, 'no job is configured; add at least "cron"');
  }
  return jobs;
}

/**
 * Returns the interval of a `rate(...)` schedule in minutes, or null for a `cron(...)` schedule,
 * whose gaps can differ from run to run.
 */
export function scheduleIntervalMinutes(schedule: string): number | null {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (match === null) {
    return null;
  }
  const minutesPerUnit = { minute: 1, hour: 60, day: 1440 } as const;
  return Number(match[1]) * minutesPerUnit[match[2] as keyof typeof minutesPerUnit];
}

/**
 * Checks that the no-success alarm fits CloudWatch's periods and that a job on a rate schedule
 * gets at least two chances to succeed before its alarm goes off.
 */
function checkNoSuccessAlarm(source: string, name: string, job: z.infer<typeof jobSchema>): void {
  const minutes = job.noSuccessAlarmMinutes;
  const periodMinutes = noSuccessAlarmPeriodMinutes(minutes);
  if (minutes % periodMinutes !== 0) {
    throw new ConfigurationError(source, `job "${name}" has noSuccessAlarmMinutes ${minutes}; use a multiple of 5 up to ${FIVE_MINUTE_PERIODS_UP_TO_MINUTES} or a multiple of 60 above it`);
  }

  const intervalMinutes = scheduleIntervalMinutes(job.schedule);
  if (intervalMinutes !== null && minutes < 2 * intervalMinutes) {
    throw new ConfigurationError(source, `job "${name}" runs every ${intervalMinutes} minutes but its noSuccessAlarmMinutes is ${minutes}; set it to at least ${2 * intervalMinutes}, two intervals`);
  }
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
  const value = optionalSetting(environment, name);
  if (value === undefined) {
    throw new ConfigurationError(name, 'is not set; set it in the stage settings file (config/stages/STAGE.yml) and deploy, or in the environment of a local run');
  }
  return value;
}

/** Returns a setting with surrounding spaces removed, or undefined when it is unset or blank. */
function optionalSetting(environment: Environment, name: string): string | undefined {
  const value = environment[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function listSetting(environment: Environment, name: string): string[] {
  return (environment[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function secondsSetting(environment: Environment, name: string, defaultSeconds: number): number {
  const text = optionalSetting(environment, name);
  if (text === undefined) {
    return defaultSeconds;
  }
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_TASK_SECONDS) {
    throw new ConfigurationError(name, `"${text}" is not a whole number of seconds from 0 to ${MAX_TASK_SECONDS}`);
  }
  return seconds;
}

function readAssignPublicIp(environment: Environment): 'ENABLED' | 'DISABLED' {
  const value = optionalSetting(environment, ENVIRONMENT_VARIABLES.assignPublicIp) ?? DEFAULT_ASSIGN_PUBLIC_IP;
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
