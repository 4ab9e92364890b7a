import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from '../shared/zod.ts';
import type { EcsTaskApi } from '../shared/ecs/ecs-api.ts';
import {
  CronTaskNotStoppedError,
  describeContainerExits,
  describeJobTasks,
  isTaskStopped,
  listJobTasks,
  tasksOfExecution,
  toStepFunctionsTask,
  type JobTask,
} from '../shared/ecs/job-tasks.ts';
import { caughtErrorSchema, leaseStateSchema, settingsSchema } from '../shared/workflow-state.ts';

/** Maximum wait between two checks of a stopping task. */
export const STOP_CHECK_INTERVAL_SECONDS = 5;

/** ECS accepts a StopTask reason of at most 255 characters. */
const MAX_STOP_REASON_LENGTH = 255;

/** The result of the previous StopCronTask attempt, at $.stopTask. */
export const previousStopSchema = z.object({
  attempt: z.int().check(z.positive()),
  firstAttemptAt: z.string(),
  taskArns: z.array(z.string()),
});

/** StopCronTask receives the whole workflow state after RunCron's Catch. */
export const stopCronTaskEventSchema = z.object({
  settings: settingsSchema,
  lease: z.optional(leaseStateSchema),
  taskError: z.optional(caughtErrorSchema),
  stopTask: z.optional(previousStopSchema),
});

export type StopCronTaskInput = z.infer<typeof stopCronTaskEventSchema>;

export interface StopCronTaskOutput {
  /** True when no task of this execution is running any more, so the lease may be released. */
  readonly stopped: boolean;
  /** 1 on the first check, then one more on each pass through WaitForCronTaskStop. */
  readonly attempt: number;
  /** When the first check ran (Lambda clock); the wait is bounded from here. */
  readonly firstAttemptAt: string;
  /** The end of the wait: firstAttemptAt plus the stop grace and the run margin. */
  readonly waitUntil: string;
  /** Seconds WaitForCronTaskStop waits before the next check. */
  readonly waitSeconds: number;
  /** The tasks of this execution that the first check found. Later checks describe them by ARN. */
  readonly taskArns: readonly string[];
  /** The latest of those tasks in the shape `ecs:runTask.sync` returns, or null when there is none. */
  readonly task: Record<string, unknown> | null;
  readonly message: string;
}

/**
 * Finds this execution's task, calls StopTask if it still runs, and reports whether it has
 * stopped. The workflow calls it again after WaitForCronTaskStop until it has, so every check is
 * a step in the execution history. Throws CronTaskNotStoppedError once the task has had its stop
 * grace and the run margin, counted from the first check, and is still not STOPPED.
 */
export async function stopCronTask(input: StopCronTaskInput, ecs: EcsTaskApi, logger: Logger, now: () => Date): Promise<StopCronTaskOutput> {
  const { settings } = input;
  const cluster = settings.task.cluster;
  const attempt = (input.stopTask?.attempt ?? 0) + 1;
  const firstAttemptAt = input.stopTask?.firstAttemptAt ?? now().toISOString();
  const waitUntilMilliseconds = Date.parse(firstAttemptAt) + (settings.task.stopGraceSeconds + settings.task.runMarginSeconds) * 1000;
  const waitUntil = new Date(waitUntilMilliseconds).toISOString();

  const knownTaskArns = input.stopTask?.taskArns ?? [];
  const tasks = knownTaskArns.length > 0
    ? await describeJobTasks(ecs, cluster, knownTaskArns)
    : tasksOfExecution(await listJobTasks(ecs, { cluster, startedBy: settings.task.startedBy }), settings.owner);
  const taskArns = knownTaskArns.length > 0 ? knownTaskArns : tasks.map((task) => task.taskArn);

  const running = tasks.filter((task) => !isTaskStopped(task));
  for (const task of running.filter((candidate) => candidate.desiredStatus !== 'STOPPED')) {
    const reason = stopReason(settings.executionName, input.taskError?.Error);
    await ecs.stopTask({ cluster, task: task.taskArn, reason });
    logger.info('Stopping cron task', { taskArn: task.taskArn, lastStatus: task.lastStatus, stopGraceSeconds: settings.task.stopGraceSeconds, attempt });
  }

  const latest = latestTask(tasks);
  const base = { attempt, firstAttemptAt, waitUntil, taskArns, task: latest === null ? null : toStepFunctionsTask(latest) };
  if (running.length === 0) {
    const message = latest === null
      ? `No task of execution ${settings.owner} was found in cluster ${cluster}; nothing to stop.`
      : `Task ${latest.taskArn} has stopped${describeStop(latest)}: ${describeContainerExits(latest)}.`;
    logger.info('Cron task stopped', { taskArns, attempt });
    return { ...base, stopped: true, waitSeconds: 0, message };
  }

  const nowMilliseconds = now().getTime();
  const statuses = running.map((task) => `${task.taskArn} is ${task.lastStatus}`).join('; ');
  if (nowMilliseconds >= waitUntilMilliseconds) {
    const elapsedSeconds = Math.round((nowMilliseconds - Date.parse(firstAttemptAt)) / 1000);
    const stopCommands = running.map((task) => `aws ecs stop-task --cluster ${cluster} --task ${task.taskArn}`).join(' and ');
    throw new CronTaskNotStoppedError(running.map((task) => task.taskArn),
      `${statuses} ${elapsedSeconds} s after cronlock asked it to stop (stop grace ${settings.task.stopGraceSeconds} s + margin ${settings.task.runMarginSeconds} s). ` +
      `The lease is left to end by itself at ${input.lease?.lockUntil ?? 'its lock_until'}, and later executions skip while the task runs. ` +
      `Check the task, or stop it with: ${stopCommands}`);
  }

  const waitSeconds = Math.max(1, Math.min(STOP_CHECK_INTERVAL_SECONDS, Math.ceil((waitUntilMilliseconds - nowMilliseconds) / 1000)));
  return {
    ...base,
    stopped: false,
    waitSeconds,
    message: `Asked ECS to stop the cron task: ${statuses}; checking again in ${waitSeconds} s, until ${waitUntil}.`,
  };
}

function stopReason(executionName: string, errorName: string | undefined): string {
  const reason = `cronlock: execution ${executionName} stops its cron after RunCron failed with ${errorName ?? 'an error'}`;
  return reason.length > MAX_STOP_REASON_LENGTH ? `${reason.slice(0, MAX_STOP_REASON_LENGTH - 3)}...` : reason;
}

function describeStop(task: JobTask): string {
  return task.stopCode === null ? '' : ` (stop code ${task.stopCode}: ${task.stoppedReason ?? 'no reason given'})`;
}

function latestTask(tasks: readonly JobTask[]): JobTask | null {
  return tasks.reduce<JobTask | null>((latest, task) => (latest === null || (task.startedAt ?? '') > (latest.startedAt ?? '') ? task : latest), null);
}
