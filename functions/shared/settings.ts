import { InvalidInputError } from './errors.ts';
import { MAX_HOLD_SECONDS, minimumHoldSeconds, type JobDefinition, type RuntimeConfig } from './config.ts';
import { validateOwner } from './lease/lease-store.ts';

/** Fields an execution input may contain. `Comment` is the field the console pre-fills. */
export const INPUT_FIELDS = ['job', 'holdSeconds', 'minHoldSeconds', 'Comment'] as const;

/** The job an empty input `{}` runs. */
export const DEFAULT_JOB = 'cron';

/** Everything later states need, fixed once per execution and visible in its history. */
export interface Settings {
  readonly job: string;
  /** The execution ARN: unique per execution, never a host name. */
  readonly owner: string;
  readonly executionName: string;
  readonly table: string;
  readonly holdSeconds: number;
  readonly minHoldSeconds: number;
  readonly task: TaskRequest;
}

/** RunCron's request fields, in the casing of the ECS API. */
export interface TaskRequest {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly containerName: string;
  readonly command: readonly string[];
  /** Marks the job's tasks, so a running one can be listed with ListTasks. */
  readonly startedBy: string;
  readonly capacityProviderStrategy: readonly { CapacityProvider: string; Weight: number }[];
  readonly networkConfiguration: {
    AwsvpcConfiguration: { Subnets: readonly string[]; SecurityGroups: readonly string[]; AssignPublicIp: string };
  };
  readonly stopGraceSeconds: number;
  readonly runMarginSeconds: number;
}

export interface ExecutionContext {
  readonly id: string;
  readonly name: string;
}

/**
 * Merges the execution input with the job's settings and the defaults. Throws InvalidInputError
 * naming the field and what is allowed; nothing has been written when it throws.
 *
 * The input may choose an enabled job and its holds, and nothing else: the command, the task and
 * the table are deploy configuration. `Comment`, which the Step Functions console pre-fills, is
 * accepted and ignored.
 */
export function resolveSettings(input: unknown, execution: ExecutionContext, config: RuntimeConfig): Settings {
  const fields = readInputFields(input);
  const job = readJob(fields, config);
  const { holdSeconds, minHoldSeconds } = readHolds(fields, job, config.task);
  validateOwner(execution.id);

  return {
    job: job.name,
    owner: execution.id,
    executionName: execution.name,
    table: config.table,
    holdSeconds,
    minHoldSeconds,
    task: {
      cluster: config.task.cluster,
      taskDefinition: config.task.taskDefinition,
      containerName: config.task.containerName,
      command: job.command,
      startedBy: `cronlock/${job.name}`,
      capacityProviderStrategy: [{ CapacityProvider: config.task.capacityProvider, Weight: 1 }],
      networkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: config.task.subnets,
          SecurityGroups: config.task.securityGroups,
          AssignPublicIp: config.task.assignPublicIp,
        },
      },
      stopGraceSeconds: config.task.stopGraceSeconds,
      runMarginSeconds: config.task.runMarginSeconds,
    },
  };
}

/** Checks that the input is a JSON object with only the allowed fields and a text `Comment`. */
function readInputFields(input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInputError('$', `the execution input must be a JSON object such as {} or {"job": "cron"}, got ${describe(input)}`);
  }
  const fields = input as Record<string, unknown>;
  for (const field of Object.keys(fields)) {
    if (!(INPUT_FIELDS as readonly string[]).includes(field)) {
      throw new InvalidInputError(field, `unknown field; the allowed fields are ${INPUT_FIELDS.join(', ')} (names are case-sensitive)`);
    }
  }
  const comment = fields['Comment'];
  if (comment !== undefined && typeof comment !== 'string') {
    throw new InvalidInputError('Comment', `must be text, got ${describe(comment)}`);
  }
  return fields;
}

function readJob(fields: Record<string, unknown>, config: RuntimeConfig): JobDefinition {
  const enabledJobs = Object.values(config.jobs).filter((job) => job.enabled).map((job) => job.name);
  const allowed = enabledJobs.length === 0 ? 'no job is enabled' : `the enabled jobs are ${enabledJobs.join(', ')}`;

  const jobName = fields['job'] === undefined ? DEFAULT_JOB : fields['job'];
  if (typeof jobName !== 'string') {
    throw new InvalidInputError('job', `must be the name of a configured job as text, got ${describe(jobName)}; ${allowed}`);
  }
  const job = Object.hasOwn(config.jobs, jobName) ? config.jobs[jobName] : undefined;
  if (job === undefined) {
    throw new InvalidInputError('job', `${describe(jobName)} is not a configured job; ${allowed}`);
  }
  if (!job.enabled) {
    throw new InvalidInputError('job', `job "${jobName}" is disabled; ${allowed}. To run it, set "enabled": true for it in config/jobs.json and deploy`);
  }
  return job;
}

/**
 * Reads holdSeconds and minHoldSeconds, each defaulting to the job's value. The lease must leave
 * the cron its shortest run after the stop grace and margin, and the minimum hold may not exceed
 * the hold, including the job's minimum hold when the input sets only holdSeconds.
 */
function readHolds(
  fields: Record<string, unknown>,
  job: JobDefinition,
  task: RuntimeConfig['task'],
): { holdSeconds: number; minHoldSeconds: number } {
  const shortestHoldSeconds = minimumHoldSeconds(task);
  const holdSeconds = readWholeSeconds(fields, 'holdSeconds', job.holdSeconds, shortestHoldSeconds, MAX_HOLD_SECONDS,
    `(at least stop grace ${task.stopGraceSeconds} s + margin ${task.runMarginSeconds} s + shortest run ${task.minRunSeconds} s)`);

  if (fields['minHoldSeconds'] === undefined && job.minHoldSeconds > holdSeconds) {
    throw new InvalidInputError('holdSeconds', `${holdSeconds} is below the job's minHoldSeconds ${job.minHoldSeconds}; set holdSeconds from ${Math.max(job.minHoldSeconds, shortestHoldSeconds)} to ${MAX_HOLD_SECONDS}, or also set minHoldSeconds from 0 to ${holdSeconds}`);
  }
  const minHoldSeconds = readWholeSeconds(fields, 'minHoldSeconds', job.minHoldSeconds, 0, holdSeconds,
    `(it may not exceed holdSeconds ${holdSeconds})`);
  return { holdSeconds, minHoldSeconds };
}

function readWholeSeconds(
  fields: Record<string, unknown>,
  field: string,
  defaultSeconds: number,
  minimum: number,
  maximum: number,
  reason: string,
): number {
  const value = fields[field];
  if (value === undefined) {
    return defaultSeconds;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw new InvalidInputError(field, `must be a whole number of seconds from ${minimum} to ${maximum} ${reason}, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
