import type { Logger } from '@aws-lambda-powertools/logger';
import type { EcsTaskApi } from '../shared/ecs/ecs-api.ts';
import type { JobTask } from '../shared/ecs/job-tasks.ts';
import { LockStoreError } from '../shared/errors.ts';
import type { LeaseRow, LeaseStore } from '../shared/lease/lease-store.ts';
import { emptySummary } from '../shared/summary.ts';
import type { LeaseState, SettingsState, Summary } from '../shared/workflow-state.ts';
import { describeRunningTask, describeRunningTaskSkip, findRunningJobTasks, type RunningTask } from './running-task-guard.ts';

export interface AcquireOutput {
  readonly settings: SettingsState;
  readonly lease: LeaseState;
  readonly summary: Summary;
  /** A task of the job that had not stopped, which made this execution skip; null otherwise. */
  readonly runningTask: RunningTask | null;
}

/**
 * Takes the job's lease for this execution, or reports who holds it. A busy lock is a normal
 * result (`acquired: false`), which the workflow ends as a successful skip.
 *
 * Before the UPDATE it lists the job's tasks that have not stopped (ListTasks, DescribeTasks).
 * Such a task means a cron is running, whatever the lease row contains, because an execution that
 * crashed or could not stop its task leaves one behind once its lease ends. Then the execution
 * skips without touching the lease. `ecs` null leaves this check out, for lease tests that have
 * no ECS; the Lambda handler and the local runner always pass one.
 */
export async function acquireLease(settings: SettingsState, store: LeaseStore, logger: Logger, ecs: EcsTaskApi | null = null): Promise<AcquireOutput> {
  const runningTasks = ecs === null ? [] : await findRunningJobTasks(ecs, settings);
  if (runningTasks.length > 0) {
    return skipForRunningTask(settings, store, logger, runningTasks);
  }

  const { acquired, lease } = await store.acquire({
    lockName: settings.job,
    owner: settings.owner,
    holdSeconds: settings.holdSeconds,
  });

  const runTimeoutSeconds = acquired ? computeRunTimeoutSeconds(lease, settings) : null;
  if (acquired && runTimeoutSeconds === null) {
    // Only a retried acquire whose first attempt committed long ago gets here.
    logger.warn('Lease held but too little of it is left to run the cron', leaseKeys(settings, lease));
  }
  const running = acquired && runTimeoutSeconds !== null;
  const leaseState = toLeaseState(lease, running ? runTimeoutSeconds : null);

  if (running) {
    logger.info('Lease acquired', { ...leaseKeys(settings, lease), runTimeoutSeconds });
  } else {
    logger.info('Lease busy, skipping', leaseKeys(settings, lease));
  }
  return { settings, lease: leaseState, summary: describeAcquire(settings, leaseState), runningTask: null };
}

/** Builds the lease as the workflow state carries it: acquired exactly when a run timeout is given. */
function toLeaseState(lease: LeaseRow, runTimeoutSeconds: number | null): LeaseState {
  return {
    acquired: runTimeoutSeconds !== null,
    holder: lease.owner,
    fencingToken: lease.fencingToken,
    lockedAt: lease.lockedAt,
    lockUntil: lease.lockUntil,
    releasedAt: lease.releasedAt,
    databaseTime: lease.databaseTime,
    runTimeoutSeconds,
  };
}

async function skipForRunningTask(settings: SettingsState, store: LeaseStore, logger: Logger, running: readonly JobTask[]): Promise<AcquireOutput> {
  const lease = await store.read(settings.job, settings.owner);
  if (lease === null) {
    throw new LockStoreError(`Lock row "${settings.job}" is missing from table ${store.table}; InsertLockRow must run before AcquireLock`);
  }
  const runningTask = describeRunningTask(running, lease);
  const leaseState = toLeaseState(lease, null);
  const taskKeys = {
    ...leaseKeys(settings, lease),
    taskArn: runningTask.taskArn,
    taskLastStatus: runningTask.lastStatus,
    taskDesiredStatus: runningTask.desiredStatus,
    taskExecutionArn: runningTask.executionArn,
  };
  if (runningTask.orphan) {
    // Rare: StopCronTask and the reclaim stop a failed execution's task, so an orphan means both
    // could not, or the task was started outside the workflow.
    logger.warn('Task of the job still running without a live lease; skipping', taskKeys);
  } else {
    logger.info('Lease busy and its task running, skipping', taskKeys);
  }
  const summary: Summary = {
    ...emptySummary(settings),
    outcome: 'skipped',
    holder: lease.owner,
    fencingToken: lease.fencingToken,
    lockedAt: lease.lockedAt,
    lockUntil: lease.lockUntil,
    taskArn: runningTask.taskArn,
    message: describeRunningTaskSkip(settings, runningTask, lease),
  };
  return { settings, lease: leaseState, summary, runningTask };
}

/**
 * Computes the RunCron timeout in whole seconds: the lease left at the database time of the read-back,
 * minus the container stop grace and a margin, so that the task is stopped and the lock
 * released before the lease ends. Null when nothing is left for the cron.
 */
export function computeRunTimeoutSeconds(lease: LeaseRow, settings: SettingsState): number | null {
  if (lease.lockUntil === null) {
    return null;
  }
  const remainingMilliseconds = Date.parse(lease.lockUntil) - Date.parse(lease.databaseTime);
  const seconds = Math.floor(remainingMilliseconds / 1000) - settings.task.stopGraceSeconds - settings.task.runMarginSeconds;
  return seconds >= 1 ? seconds : null;
}

function describeAcquire(settings: SettingsState, lease: LeaseState): Summary {
  const base = {
    ...emptySummary(settings),
    holder: lease.holder,
    fencingToken: lease.fencingToken,
    lockedAt: lease.lockedAt,
    lockUntil: lease.lockUntil,
  };
  if (lease.acquired) {
    return {
      ...base,
      outcome: 'acquired',
      message: `Lock "${settings.job}" acquired with fencing token ${lease.fencingToken} until ${lease.lockUntil}; starting the cron with a ${lease.runTimeoutSeconds} s timeout.`,
    };
  }
  return { ...base, outcome: 'skipped', message: describeSkip(settings.job, lease) };
}

function describeSkip(job: string, lease: LeaseState): string {
  if (lease.releasedAt !== null) {
    return `Skipped: lock "${job}" was released at ${lease.releasedAt} by ${lease.holder} (fencing token ${lease.fencingToken}), and its minimum hold keeps it taken until ${lease.lockUntil} (database time).`;
  }
  return `Skipped: lock "${job}" is held by ${lease.holder} (fencing token ${lease.fencingToken}) until ${lease.lockUntil} (database time).`;
}

function leaseKeys(settings: SettingsState, lease: LeaseRow): Record<string, unknown> {
  return {
    job: settings.job,
    owner: settings.owner,
    holder: lease.owner,
    fencingToken: lease.fencingToken,
    leaseUntil: lease.lockUntil,
    databaseTime: lease.databaseTime,
  };
}
