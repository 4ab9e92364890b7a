import { InvalidInputError } from './errors.ts';
import { MAX_HOLD_SECONDS, type RuntimeConfig } from './config.ts';
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
 */
export function resolveSettings(input: unknown, execution: ExecutionContext, config: RuntimeConfig): Settings {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInputError('$', `the execution input must be a JSON object such as {} or {"job": "cron"}, got ${describe(input)}`);
  }
  const fields = input as Record<string, unknown>;
  for (const field of Object.keys(fields)) {
    if (!(INPUT_FIELDS as readonly string[]).includes(field)) {
      throw new InvalidInputError(field, `unknown field; the allowed fields are ${INPUT_FIELDS.join(', ')}`);
    }
  }

  const jobName = fields['job'] ?? DEFAULT_JOB;
  const jobNames = Object.keys(config.jobs).join(', ');
  if (typeof jobName !== 'string' || !Object.hasOwn(config.jobs, jobName)) {
    throw new InvalidInputError('job', `${describe(jobName)} is not a configured job; the configured jobs are ${jobNames}`);
  }
  const job = config.jobs[jobName];
  if (job === undefined || !job.enabled) {
    throw new InvalidInputError('job', `job "${jobName}" is disabled; set "enabled": true for it in config/jobs.json and deploy`);
  }

  const minimumHoldSeconds = config.task.stopGraceSeconds + config.task.runMarginSeconds + config.task.minRunSeconds;
  const holdSeconds = readWholeSeconds(fields, 'holdSeconds', job.holdSeconds, minimumHoldSeconds, MAX_HOLD_SECONDS,
    `(stop grace ${config.task.stopGraceSeconds} s + margin ${config.task.runMarginSeconds} s + shortest run ${config.task.minRunSeconds} s)`);
  const minHoldSeconds = readWholeSeconds(fields, 'minHoldSeconds', Math.min(job.minHoldSeconds, holdSeconds), 0, holdSeconds,
    '(it may not exceed holdSeconds)');

  if (fields['Comment'] !== undefined && typeof fields['Comment'] !== 'string') {
    throw new InvalidInputError('Comment', `must be text, got ${describe(fields['Comment'])}`);
  }
  validateOwner(execution.id);

  return {
    job: jobName,
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
      startedBy: `cronlock/${jobName}`,
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
