import type { Task } from '@aws-sdk/client-ecs';
import { CronlockError } from '../errors.ts';
import { EcsRequestError, type EcsTaskApi } from './ecs-api.ts';

/** The tag RunCron puts on every task, with the execution ARN as its value. */
export const EXECUTION_TAG_KEY = 'cronlock:execution';

/** The container variable RunCron sets to the lease owner, which is the execution ARN. */
export const OWNER_VARIABLE = 'CRONLOCK_OWNER';

/** DescribeTasks accepts at most 100 task ARNs per call. */
const DESCRIBE_BATCH_SIZE = 100;

/** ListTasks pages read per desired status, 100 tasks each; ECS lists stopped tasks for about an hour. */
const MAX_LIST_PAGES = 10;

export interface JobTaskContainer {
  readonly name: string;
  readonly lastStatus: string | null;
  readonly exitCode: number | null;
  readonly reason: string | null;
}

/** One task as DescribeTasks returned it, with the execution that started it. */
export interface JobTask {
  readonly taskArn: string;
  /** PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING or STOPPED. */
  readonly lastStatus: string;
  /** RUNNING until a StopTask call, or ECS itself, stops the task; then STOPPED. */
  readonly desiredStatus: string;
  /**
   * The execution ARN from the `cronlock:execution` tag, or from the CRONLOCK_OWNER container
   * variable when the tag is gone (StopTask deletes a task's tags). Null when neither is readable.
   */
  readonly executionArn: string | null;
  readonly startedAt: string | null;
  readonly stoppingAt: string | null;
  readonly stoppedAt: string | null;
  readonly stopCode: string | null;
  readonly stoppedReason: string | null;
  readonly containers: readonly JobTaskContainer[];
}

export interface JobTaskFilter {
  readonly cluster: string;
  /** RunCron's StartedBy, `cronlock/<job>`. */
  readonly startedBy: string;
}

/**
 * Returns whether ECS reports the task STOPPED, its final status. A task being stopped keeps its
 * containers running through their SIGTERM grace, so DEACTIVATING, STOPPING and DEPROVISIONING
 * count as running, and a second cron must not start beside it.
 */
export function isTaskStopped(task: JobTask): boolean {
  return task.lastStatus === 'STOPPED';
}

/**
 * Lists the job's tasks that ECS still lists: those with desired status RUNNING, and those with
 * STOPPED, which include tasks in their stop grace and tasks stopped within about the last hour.
 */
export async function listJobTasks(api: EcsTaskApi, filter: JobTaskFilter): Promise<JobTask[]> {
  const taskArns = new Set<string>();
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    for (const taskArn of await listTaskArns(api, filter, desiredStatus)) {
      taskArns.add(taskArn);
    }
  }
  return describeJobTasks(api, filter.cluster, [...taskArns]);
}

/** Describes tasks by ARN, with their tags. Tasks that ECS no longer describes are left out. */
export async function describeJobTasks(api: EcsTaskApi, cluster: string, taskArns: readonly string[]): Promise<JobTask[]> {
  const tasks: JobTask[] = [];
  for (let start = 0; start < taskArns.length; start += DESCRIBE_BATCH_SIZE) {
    const batch = taskArns.slice(start, start + DESCRIBE_BATCH_SIZE);
    const response = await api.describeTasks({ cluster, tasks: batch, include: ['TAGS'] });
    tasks.push(...(response.tasks ?? []).map(toJobTask));
  }
  return tasks;
}

/** Returns the tasks started by one execution. */
export function tasksOfExecution(tasks: readonly JobTask[], executionArn: string): JobTask[] {
  return tasks.filter((task) => task.executionArn === executionArn);
}

/**
 * Describes a task in the PascalCase shape that `ecs:runTask.sync` returns, so the release step
 * reads a task that StopCronTask stopped the same way as one that RunCron returned.
 */
export function toStepFunctionsTask(task: JobTask): Record<string, unknown> {
  return {
    TaskArn: task.taskArn,
    LastStatus: task.lastStatus,
    DesiredStatus: task.desiredStatus,
    StopCode: task.stopCode,
    StoppedReason: task.stoppedReason,
    StartedAt: task.startedAt,
    StoppingAt: task.stoppingAt,
    StoppedAt: task.stoppedAt,
    Containers: task.containers.map((container) => ({
      Name: container.name,
      LastStatus: container.lastStatus,
      ...(container.exitCode === null ? {} : { ExitCode: container.exitCode }),
      ...(container.reason === null ? {} : { Reason: container.reason }),
    })),
  };
}

/** Describes the containers' exits in a few words, such as `whmcs exited 143, log-router exited 0`. */
export function describeContainerExits(task: JobTask): string {
  if (task.containers.length === 0) {
    return 'no containers reported';
  }
  return task.containers.map((container) => `${container.name} ${container.exitCode === null ? `is ${container.lastStatus ?? 'in an unknown status'}` : `exited ${container.exitCode}`}`).join(', ');
}

async function listTaskArns(api: EcsTaskApi, filter: JobTaskFilter, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
  const taskArns: string[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
    const response = await api.listTasks({ cluster: filter.cluster, startedBy: filter.startedBy, desiredStatus, maxResults: 100, nextToken });
    taskArns.push(...(response.taskArns ?? []));
    nextToken = response.nextToken;
    if (nextToken === undefined) {
      return taskArns;
    }
  }
  // Reading on could miss nothing that matters only if the rest were all stopped, which is unknown.
  throw new EcsRequestError('ListTasks', `more than ${MAX_LIST_PAGES * 100} tasks of ${filter.startedBy} with desired status ${desiredStatus} in cluster ${filter.cluster}; stop the tasks that should not run, or wait for ECS to forget stopped ones`);
}

function toJobTask(task: Task): JobTask {
  return {
    taskArn: task.taskArn ?? 'unknown task',
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    desiredStatus: task.desiredStatus ?? 'UNKNOWN',
    executionArn: executionOf(task),
    startedAt: isoOrNull(task.startedAt),
    stoppingAt: isoOrNull(task.stoppingAt),
    stoppedAt: isoOrNull(task.stoppedAt),
    stopCode: task.stopCode ?? null,
    stoppedReason: task.stoppedReason ?? null,
    containers: (task.containers ?? []).map((container) => ({
      name: container.name ?? 'unnamed',
      lastStatus: container.lastStatus ?? null,
      exitCode: container.exitCode ?? null,
      reason: container.reason ?? null,
    })),
  };
}

function executionOf(task: Task): string | null {
  const tagged = task.tags?.find((tag) => tag.key === EXECUTION_TAG_KEY)?.value;
  if (tagged) {
    return tagged;
  }
  const variables = task.overrides?.containerOverrides?.flatMap((override) => override.environment ?? []) ?? [];
  return variables.find((variable) => variable.name === OWNER_VARIABLE)?.value ?? null;
}

function isoOrNull(value: Date | undefined): string | null {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : null;
}

/**
 * A task that did not reach STOPPED within its stop grace and a margin after it was asked to
 * stop. The lease is left alone: it ends by itself, and later executions skip while the task runs.
 */
export class CronTaskNotStoppedError extends CronlockError {
  readonly taskArns: readonly string[];

  constructor(taskArns: readonly string[], message: string) {
    super(message);
    this.name = 'CronTaskNotStopped';
    this.taskArns = taskArns;
  }
}
