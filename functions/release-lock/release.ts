import type { Logger } from '@aws-lambda-powertools/logger';
import { TRANSIENT_LOCK_STORE_ERROR_NAMES } from '../shared/errors.ts';
import type { LeaseStore, ReleaseResult } from '../shared/lease/lease-store.ts';
import { emptySummary } from '../shared/summary.ts';
import type { CaughtError, LeaseState, SettingsState, Summary } from '../shared/workflow-state.ts';
import { classifyTaskOutcome, type TaskOutcome } from './task-outcome.ts';

/** The workflow state ReleaseLock receives: RunCron's result or its caught error, or AcquireLock's caught error. */
export interface ReleaseInput {
  readonly settings: SettingsState;
  readonly lease?: LeaseState | undefined;
  readonly task?: unknown;
  readonly taskError?: CaughtError | undefined;
  /** Set on the path where AcquireLock itself failed, so this execution may or may not hold the lease. */
  readonly acquireError?: CaughtError | undefined;
}

export interface ReleaseOutput {
  readonly settings: SettingsState;
  readonly lease: LeaseState | null;
  readonly summary: Summary;
}

/** The error a failed execution ends with when the lock store could not be reached. */
export const LOCK_STORE_UNAVAILABLE = 'LockStoreUnavailable';

/**
 * Ends this execution's lease (keeping the minimum hold) and writes the execution's summary.
 * A lease that another execution took in the meantime is left alone and logged as lost.
 */
export async function releaseLease(input: ReleaseInput, store: LeaseStore, logger: Logger): Promise<ReleaseOutput> {
  const { settings } = input;
  const fencingToken = input.lease?.acquired ? input.lease.fencingToken : null;
  const release = await store.release({
    lockName: settings.job,
    owner: settings.owner,
    fencingToken,
    minHoldSeconds: settings.minHoldSeconds,
  });
  logRelease(release, settings, fencingToken, logger);

  const taskOutcome = input.acquireError
    ? describeAcquireFailure(input.acquireError)
    : classifyTaskOutcome(input.task, input.taskError, settings.task.containerName);
  const summary = buildSummary(input, taskOutcome, release);
  if (summary.outcome === 'failed') {
    logger.error('Execution failed', { job: settings.job, errorName: summary.error, reason: summary.message });
  } else {
    logger.info('Cron ran', { job: settings.job, cronExitCode: summary.cronExitCode, fencingToken });
  }
  return { settings, lease: input.lease ?? null, summary };
}

function logRelease(release: ReleaseResult, settings: SettingsState, fencingToken: number | null, logger: Logger): void {
  const keys = { job: settings.job, owner: settings.owner, fencingToken };
  if (release.status === 'lost') {
    // Should not happen while the run timeout stays inside the lease: it means the lease expired
    // under a running task, or the row was changed by hand.
    logger.warn('Lease lost before release; nothing was changed', {
      ...keys,
      currentOwner: release.lease?.owner ?? null,
      currentFencingToken: release.lease?.fencingToken ?? null,
      currentLockUntil: release.lease?.lockUntil ?? null,
    });
  } else {
    logger.info(release.status === 'released' ? 'Lease released' : 'Lease was already released', keys);
  }
}

function describeAcquireFailure(error: CaughtError): TaskOutcome {
  const transient = (TRANSIENT_LOCK_STORE_ERROR_NAMES as readonly string[]).includes(error.Error);
  return {
    outcome: 'failed',
    error: transient ? LOCK_STORE_UNAVAILABLE : error.Error,
    cronStarted: false,
    cronExitCode: null,
    taskArn: null,
    stopCode: null,
    stoppedReason: null,
    containers: [],
    message: `${transient ? 'Lock store unavailable' : 'AcquireLock failed'}: ${error.Error}: ${error.Cause ?? ''}. No task was started.`,
  };
}

const RELEASE_NOTES = {
  released: 'The lease was released.',
  'already-released': 'The lease was already released by an earlier attempt.',
  lost: 'The lease had been lost before release, so nothing was changed.',
} as const;

function buildSummary(input: ReleaseInput, taskOutcome: TaskOutcome, release: ReleaseResult): Summary {
  const lease = input.lease;
  const acquired = lease?.acquired === true;
  const summary: Summary = {
    ...emptySummary(input.settings),
    outcome: taskOutcome.outcome,
    holder: acquired ? input.settings.owner : (lease?.holder ?? null),
    fencingToken: acquired ? lease.fencingToken : null,
    lockedAt: acquired ? lease.lockedAt : null,
    lockUntil: acquired ? lease.lockUntil : null,
    error: taskOutcome.error,
    cronStarted: taskOutcome.cronStarted,
    cronExitCode: taskOutcome.cronExitCode,
    taskArn: taskOutcome.taskArn,
    stopCode: taskOutcome.stopCode,
    stoppedReason: taskOutcome.stoppedReason,
    containers: [...taskOutcome.containers],
    releaseStatus: release.status,
    message: `${taskOutcome.message} ${RELEASE_NOTES[release.status]}`,
  };
  return summary.outcome === 'failed' ? { ...summary, cause: JSON.stringify({ ...summary, cause: undefined }) } : summary;
}
