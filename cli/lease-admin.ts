import { LeaseStore, type LeaseRow } from '../functions/shared/lease/lease-store.ts';
import { DATABASE_NOW, leaseFreeCondition } from '../functions/shared/lease/lease-sql.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';

/**
 * Operator reads and writes of the lock table, over the same SqlExecutor and the same columns as
 * the lease store. Every time comes from the database clock (UTC_TIMESTAMP(6)); the local clock
 * of the operator's machine is never used.
 */

/**
 * - `held`: taken and not released; acquires skip until lockUntil
 * - `min-hold`: released, but the minimum hold keeps it taken until lockUntil
 * - `expired`: the lease ended without a release (its holder stopped, crashed, or still runs past it); acquires take it
 * - `free`: released, or never taken
 * - `no-row`: the job has no row yet; the first execution creates it
 */
export type LockState = 'held' | 'min-hold' | 'expired' | 'free' | 'no-row';

export interface LockStatus {
  readonly job: string;
  /** Whether the job is in the job settings; a row of a removed job is listed too. */
  readonly configured: boolean;
  readonly state: LockState;
  /** The execution holding the lock while it is taken (held or min-hold), else null. */
  readonly holder: string | null;
  /** The execution that took the lease last. */
  readonly owner: string | null;
  readonly fencingToken: number | null;
  readonly lockedAt: string | null;
  readonly lockUntil: string | null;
  /** The last release, by the holder or an operator. */
  readonly releasedAt: string | null;
  /** Seconds from databaseTime to lockUntil while the lock is taken, else 0. */
  readonly timeLeftSeconds: number;
  /** UTC_TIMESTAMP(6) when the row was read; null without a row. */
  readonly databaseTime: string | null;
}

/** Returns whether the lock table exists in the connection's database. */
export async function lockTableExists(executor: SqlExecutor, table: string): Promise<boolean> {
  const { rows } = await executor.execute(
    'SELECT COUNT(*) AS table_count FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = :table',
    { table },
  );
  return Number(rows[0]?.['table_count'] ?? 0) > 0;
}

/** Lists the lock names of every row, in name order. */
export async function listLockNames(executor: SqlExecutor, table: string): Promise<string[]> {
  const { rows } = await executor.execute(`SELECT lock_name FROM \`${table}\` ORDER BY lock_name`);
  return rows.map((row) => String(row['lock_name']));
}

/**
 * Reads the status of each job: the configured ones and every row of the table, or only `onlyJob`.
 * A missing table means no execution ran yet, so every job shows `no-row`.
 */
export async function readLockStatuses(
  executor: SqlExecutor,
  table: string,
  configuredJobs: readonly string[],
  onlyJob?: string,
): Promise<LockStatus[]> {
  const exists = await lockTableExists(executor, table);
  const rowNames = exists ? await listLockNames(executor, table) : [];
  const names = onlyJob === undefined ? [...new Set([...configuredJobs, ...rowNames])] : [onlyJob];
  const store = new LeaseStore(executor, table);

  const statuses: LockStatus[] = [];
  for (const job of names) {
    const row = exists && rowNames.includes(job) ? await store.read(job) : null;
    statuses.push(describeLockStatus(job, configuredJobs.includes(job), row));
  }
  return statuses;
}

/** Classifies a row at its own databaseTime, with the boundary rule of the lease: free when lock_until <= now. */
export function describeLockStatus(job: string, configured: boolean, row: LeaseRow | null): LockStatus {
  if (row === null) {
    return {
      job, configured, state: 'no-row', holder: null, owner: null, fencingToken: null,
      lockedAt: null, lockUntil: null, releasedAt: null, timeLeftSeconds: 0, databaseTime: null,
    };
  }
  // Both are ISO 8601 with six fractional digits, so text order is time order to the microsecond.
  const taken = row.lockUntil !== null && row.lockUntil > row.databaseTime;
  let state: LockState;
  if (taken) {
    state = row.releasedAt === null ? 'held' : 'min-hold';
  } else {
    state = row.owner !== null && row.releasedAt === null ? 'expired' : 'free';
  }
  return {
    job,
    configured,
    state,
    holder: taken ? row.owner : null,
    owner: row.owner,
    fencingToken: row.owner === null ? null : row.fencingToken,
    lockedAt: row.lockedAt,
    lockUntil: row.lockUntil,
    releasedAt: row.releasedAt,
    timeLeftSeconds: taken ? secondsBetween(row.databaseTime, row.lockUntil) : 0,
    databaseTime: row.databaseTime,
  };
}

function secondsBetween(fromIso: string, untilIso: string): number {
  return Math.max(0, (Date.parse(untilIso) - Date.parse(fromIso)) / 1000);
}

/**
 * Ends a lease as an operator: lock_until becomes the database time, so the next execution can
 * take it at once, and released_at is set unless the holder released already. The fencing token
 * is kept, so the next holder still gets a higher one. The statement matches only the owner and
 * token read just before and only while the lease is still taken, so an acquire that happened in
 * between is never undone.
 */
export function operatorReleaseSql(table: string): string {
  return `UPDATE \`${table}\`
SET lock_until = ${DATABASE_NOW},
    released_at = COALESCE(released_at, ${DATABASE_NOW})
WHERE lock_name = :lockName
  AND owner = :owner
  AND fencing_token = :fencingToken
  AND NOT ${leaseFreeCondition(DATABASE_NOW)}`;
}

/**
 * - `released`: this call ended the lease
 * - `already-free`: the lease had ended already (expired, released, or never taken); nothing changed
 * - `changed`: another execution took the lock after it was read; nothing changed
 */
export type OperatorReleaseStatus = 'released' | 'already-free' | 'changed';

export interface OperatorReleaseResult {
  readonly status: OperatorReleaseStatus;
  /** The row before the release. */
  readonly before: LockStatus;
  /** The row after the release, read with the database time. */
  readonly after: LockStatus;
}

/**
 * Frees the job's lease if it is still the one in `before`. Reads the row back to report what
 * the database contains afterwards: the update count alone does not decide, because drivers and the
 * Data API count matched or changed rows differently.
 */
export async function releaseAsOperator(executor: SqlExecutor, table: string, before: LockStatus): Promise<OperatorReleaseResult> {
  const store = new LeaseStore(executor, table);
  if (before.state !== 'held' && before.state !== 'min-hold') {
    return { status: 'already-free', before, after: before };
  }

  await executor.execute(operatorReleaseSql(table), {
    lockName: before.job,
    owner: before.owner,
    fencingToken: before.fencingToken,
  });
  const after = describeLockStatus(before.job, before.configured, await store.read(before.job));
  const sameLease = after.owner === before.owner && after.fencingToken === before.fencingToken;
  if (!sameLease) {
    return { status: 'changed', before, after };
  }
  return { status: after.state === 'held' || after.state === 'min-hold' ? 'changed' : 'released', before, after };
}
