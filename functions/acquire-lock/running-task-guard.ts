import type { EcsTaskApi } from '../shared/ecs/ecs-api.ts';
import { isTaskStopped, listJobTasks, type JobTask } from '../shared/ecs/job-tasks.ts';
import type { LeaseRow } from '../shared/lease/lease-store.ts';
import type { SettingsState } from '../shared/workflow-state.ts';

/** A task of the job that had not stopped when AcquireLock looked, reported in the skip output. */
export interface RunningTask {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  /** The execution that started the task, or null when the task names none. */
  readonly executionArn: string | null;
  readonly startedAt: string | null;
  /**
   * True when the task's execution does not hold a live lease, so no lease bounds the task any
   * more: its execution crashed, was aborted, or could not stop it.
   */
  readonly orphan: boolean;
}

/**
 * Lists the job's tasks that have not stopped, including tasks in their SIGTERM grace. It makes
 * ECS calls only (two ListTasks and one DescribeTasks), so the ran path runs no extra SQL.
 */
export async function findRunningJobTasks(ecs: EcsTaskApi, settings: SettingsState): Promise<JobTask[]> {
  const tasks = await listJobTasks(ecs, { cluster: settings.task.cluster, startedBy: settings.task.startedBy });
  return tasks.filter((task) => !isTaskStopped(task));
}

/**
 * Picks the task to report and decides whether it is an orphan, from the lease row read with the
 * database time. A task of the execution that holds a live lease is the normal busy case.
 */
export function describeRunningTask(running: readonly JobTask[], lease: LeaseRow): RunningTask {
  const liveHolder = isLive(lease) ? lease.owner : null;
  const withOrphanFlag = running.map((task) => ({ task, orphan: task.executionArn === null || task.executionArn !== liveHolder }));
  const chosen = withOrphanFlag.find((entry) => entry.orphan) ?? withOrphanFlag[0];
  if (chosen === undefined) {
    throw new RangeError('describeRunningTask needs at least one running task');
  }
  const { task, orphan } = chosen;
  return {
    taskArn: task.taskArn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    executionArn: task.executionArn,
    startedAt: task.startedAt,
    orphan,
  };
}

/** Builds the skip message for an operator, with the command that stops an orphan. */
export function describeRunningTaskSkip(settings: SettingsState, task: RunningTask, lease: LeaseRow): string {
  const status = `${task.lastStatus} (desired status ${task.desiredStatus})`;
  if (!task.orphan) {
    return `Skipped: lock "${settings.job}" is held by ${lease.owner ?? 'nobody'} (fencing token ${lease.fencingToken}) until ${lease.lockUntil ?? 'never'} (database time), and its task ${task.taskArn} is ${status}.`;
  }
  const origin = task.executionArn === null
    ? 'it carries neither the cronlock:execution tag nor the CRONLOCK_OWNER variable'
    : `its execution ${task.executionArn} holds no live lease`;
  return `Skipped: task ${task.taskArn} of job "${settings.job}" is still ${status}, and ${origin}, so no second cron starts while it runs. ` +
    `If it is stuck, stop it with: aws ecs stop-task --cluster ${settings.task.cluster} --task ${task.taskArn}`;
}

function isLive(lease: LeaseRow): boolean {
  return lease.owner !== null &&
    lease.releasedAt === null &&
    lease.lockUntil !== null &&
    Date.parse(lease.lockUntil) > Date.parse(lease.databaseTime);
}
