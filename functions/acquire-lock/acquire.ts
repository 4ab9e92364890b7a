import type { Logger } from '@aws-lambda-powertools/logger';
import type { LeaseRow, LeaseStore } from '../shared/lease/lease-store.ts';
import { emptySummary } from '../shared/summary.ts';
import type { LeaseState, SettingsState, Summary } from '../shared/workflow-state.ts';

export interface AcquireOutput {
  readonly settings: SettingsState;
  readonly lease: LeaseState;
  readonly summary: Summary;
}

/**
 * Takes the job's lease for this execution, or reports who holds it. A busy lock is a normal
 * result (`acquired: false`), which the workflow ends as a successful skip.
 */
export async function acquireLease(settings: SettingsState, store: LeaseStore, logger: Logger): Promise<AcquireOutput> {
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
  const leaseState: LeaseState = {
    acquired: running,
    holder: lease.owner,
    fencingToken: lease.fencingToken,
    lockedAt: lease.lockedAt,
    lockUntil: lease.lockUntil,
    releasedAt: lease.releasedAt,
    databaseTime: lease.databaseTime,
    runTimeoutSeconds: running ? runTimeoutSeconds : null,
  };

  if (running) {
    logger.info('Lease acquired', { ...leaseKeys(settings, lease), runTimeoutSeconds });
  } else {
    logger.info('Lease busy, skipping', leaseKeys(settings, lease));
  }
  return { settings, lease: leaseState, summary: describeAcquire(settings, leaseState) };
}

/**
 * The RunCron timeout in whole seconds: the lease left at the database time of the read-back,
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
