import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from '../shared/zod.ts';
import type { RuntimeConfig } from '../shared/config.ts';
import type { EcsTaskApi } from '../shared/ecs/ecs-api.ts';
import { CronTaskNotStoppedError, describeJobTasks, isTaskStopped, listJobTasks, tasksOfExecution, type JobTask } from '../shared/ecs/job-tasks.ts';
import { InvalidInputError } from '../shared/errors.ts';
import type { LeaseRow, LeaseStore, ReleaseStatus } from '../shared/lease/lease-store.ts';
import { resolveSettings, type Settings } from '../shared/settings.ts';

/** The execution statuses the EventBridge rule sends: every way an execution ends without success. */
export const RECLAIM_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** ECS accepts a StopTask reason of at most 255 characters. */
const MAX_STOP_REASON_LENGTH = 255;

/**
 * The EventBridge event "Step Functions Execution Status Change". `detail.input` is the
 * execution input as JSON text; Step Functions leaves it null when it is too large to include.
 */
export const executionStatusChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn: z.string().check(z.minLength(1)),
    stateMachineArn: z.string().check(z.minLength(1)),
    name: z.string().check(z.minLength(1)),
    status: z.string(),
    input: z.optional(z.nullable(z.string())),
    error: z.optional(z.nullable(z.string())),
    cause: z.optional(z.nullable(z.string())),
  }),
});

export type ExecutionStatusChange = z.infer<typeof executionStatusChangeSchema>;

/** The result of one reclaim. `reclaimed` is true only when this call released a lease. */
export interface ReclaimResult {
  readonly reclaimed: boolean;
  readonly executionArn: string;
  readonly status: string;
  readonly job: string | null;
  /** Tasks of the execution that this call asked ECS to stop. */
  readonly stoppedTaskArns: readonly string[];
  readonly fencingToken: number | null;
  readonly releaseStatus: ReleaseStatus | null;
  readonly message: string;
}

export interface ReclaimContext {
  readonly config: RuntimeConfig;
  readonly ecs: EcsTaskApi;
  readonly openStore: (table: string) => LeaseStore;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly sleep: (milliseconds: number) => Promise<void>;
  /** Time between two checks of a stopping task. */
  readonly checkIntervalMilliseconds: number;
}

/**
 * Frees the lease of an execution that ended without success, once its cron task has stopped.
 * It stops the execution's task if it still runs and waits for STOPPED, for at most the stop
 * grace plus the run margin, and only then releases, matching owner and fencing token.
 *
 * Idempotent: an execution that holds no live lease and has no running task changes nothing, so
 * a repeated event, or an event for an execution that released normally, is harmless.
 */
export async function reclaimLease(event: ExecutionStatusChange, context: ReclaimContext): Promise<ReclaimResult> {
  const { executionArn, status, name } = event.detail;
  const result = { executionArn, status, job: null, stoppedTaskArns: [], fencingToken: null, releaseStatus: null };
  if (!(RECLAIM_STATUSES as readonly string[]).includes(status)) {
    return { ...result, reclaimed: false, message: `Execution status ${status} is not one of ${RECLAIM_STATUSES.join(', ')}; nothing to reclaim.` };
  }

  const settings = resolveExecutionSettings(event, context.config);
  if (typeof settings === 'string') {
    context.logger.info('Nothing to reclaim', { executionArn, status, reason: settings });
    return { ...result, reclaimed: false, message: settings };
  }
  const job = settings.job;
  context.logger.appendKeys({ job, owner: executionArn, executionArn });

  const stoppedTaskArns = await stopExecutionTasks(settings, name, status, context);

  const store = context.openStore(settings.table);
  const lease = await store.read(job, executionArn);
  if (lease === null || !lease.heldByOwner) {
    const message = describeNotHeld(job, executionArn, lease);
    context.logger.info('Nothing to reclaim', { status, reason: message, stoppedTaskArns });
    return { ...result, job, stoppedTaskArns, reclaimed: false, fencingToken: lease?.fencingToken ?? null, message };
  }

  const release = await store.release({ lockName: job, owner: executionArn, fencingToken: lease.fencingToken, minHoldSeconds: settings.minHoldSeconds });
  const reclaimed = release.status === 'released';
  const keys = { status, fencingToken: lease.fencingToken, leaseUntil: lease.lockUntil, releaseStatus: release.status, stoppedTaskArns };
  if (reclaimed) {
    context.logger.info('Lease reclaimed', keys);
  } else {
    context.logger.info('Lease released in the meantime; nothing reclaimed', keys);
  }
  return {
    ...result,
    job,
    stoppedTaskArns,
    reclaimed,
    fencingToken: lease.fencingToken,
    releaseStatus: release.status,
    message: reclaimed
      ? `Execution ${executionArn} ended ${status}; its lease on "${job}" (fencing token ${lease.fencingToken}) was released${stoppedTaskArns.length > 0 ? ` after its task ${stoppedTaskArns.join(', ')} stopped` : ''}.`
      : `Execution ${executionArn} ended ${status}; its lease on "${job}" was released by another step before the reclaim (${release.status}).`,
  };
}

/**
 * Resolves the job, holdSeconds and minHoldSeconds from the execution input, as ResolveSettings
 * did. Returns the reason as text when the input is invalid, because such an execution failed
 * before it could take a lease.
 */
function resolveExecutionSettings(event: ExecutionStatusChange, config: RuntimeConfig): Settings | string {
  const { executionArn, name } = event.detail;
  let input: unknown;
  try {
    input = JSON.parse(event.detail.input ?? '{}');
  } catch {
    return `The input of execution ${executionArn} is not JSON; the execution failed before it could take a lease.`;
  }
  try {
    return resolveSettings(input, { id: executionArn, name }, config);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      return `The input of execution ${executionArn} is invalid (${error.message}), so it failed before it could take a lease.`;
    }
    throw error;
  }
}

/** Stops the execution's running tasks and waits until every one of them is STOPPED. */
async function stopExecutionTasks(settings: Settings, executionName: string, status: string, context: ReclaimContext): Promise<string[]> {
  const { cluster } = settings.task;
  const tasks = tasksOfExecution(await listJobTasks(context.ecs, { cluster, startedBy: settings.task.startedBy }), settings.owner);
  let running = tasks.filter((task) => !isTaskStopped(task));
  if (running.length === 0) {
    return [];
  }

  const stoppedTaskArns: string[] = [];
  const reason = truncate(`cronlock: execution ${executionName} ended ${status}; its cron task is stopped before its lease is released`);
  for (const task of running.filter((candidate) => candidate.desiredStatus !== 'STOPPED')) {
    await context.ecs.stopTask({ cluster, task: task.taskArn, reason });
    stoppedTaskArns.push(task.taskArn);
    context.logger.info('Stopping cron task of an ended execution', { taskArn: task.taskArn, lastStatus: task.lastStatus, status });
  }

  const startedAt = context.now().getTime();
  const deadline = startedAt + (settings.task.stopGraceSeconds + settings.task.runMarginSeconds) * 1000;
  for (let check = 1; running.length > 0; check += 1) {
    if (context.now().getTime() >= deadline) {
      throw new CronTaskNotStoppedError(running.map((task) => task.taskArn), describeStillRunning(settings, running, startedAt, context.now()));
    }
    await context.sleep(Math.min(context.checkIntervalMilliseconds, Math.max(0, deadline - context.now().getTime())));
    running = (await describeJobTasks(context.ecs, cluster, running.map((task) => task.taskArn))).filter((task) => !isTaskStopped(task));
    context.logger.info('Checked stopping cron task', { check, running: running.map((task) => `${task.taskArn} ${task.lastStatus}`) });
  }
  return stoppedTaskArns;
}

function describeStillRunning(settings: Settings, running: readonly JobTask[], startedAt: number, now: Date): string {
  const statuses = running.map((task) => `${task.taskArn} is ${task.lastStatus}`).join('; ');
  const elapsedSeconds = Math.round((now.getTime() - startedAt) / 1000);
  return `${statuses} ${elapsedSeconds} s after the reclaim asked it to stop (stop grace ${settings.task.stopGraceSeconds} s + margin ${settings.task.runMarginSeconds} s), ` +
    `so the lease of ${settings.owner} is not released; Lambda retries the event, and the lease ends by itself at its lock_until.`;
}

function describeNotHeld(job: string, executionArn: string, lease: LeaseRow | null): string {
  if (lease === null) {
    return `Lock row "${job}" does not exist; execution ${executionArn} holds nothing.`;
  }
  if (lease.owner !== executionArn) {
    return `Lock "${job}" is held by ${lease.owner ?? 'nobody'}, not by execution ${executionArn}; nothing to release.`;
  }
  if (lease.releasedAt !== null) {
    return `The lease of execution ${executionArn} on "${job}" was already released at ${lease.releasedAt}.`;
  }
  return `The lease of execution ${executionArn} on "${job}" already ended at ${lease.lockUntil ?? 'an unknown time'}.`;
}

function truncate(text: string): string {
  return text.length > MAX_STOP_REASON_LENGTH ? `${text.slice(0, MAX_STOP_REASON_LENGTH - 3)}...` : text;
}
