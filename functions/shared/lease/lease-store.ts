import { InvalidInputError, LockStoreError } from '../errors.ts';
import { executeInOrder, type SqlExecutor, type SqlRow } from '../store/sql-executor.ts';
import { databaseIsoOrNull, parseDatabaseDatetime } from './database-time.ts';
import {
  LOCK_NAME_MAX_LENGTH,
  OWNER_MAX_LENGTH,
  TABLE_NAME_PATTERN,
  acquireSql,
  createTableSql,
  insertRowSql,
  readLeaseSql,
  releaseSql,
} from './lease-sql.ts';

/** Allowed lock names, which are job names. */
export const LOCK_NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** One lease row as read together with the database time. All times are ISO 8601 UTC. */
export interface LeaseRow {
  readonly lockName: string;
  /** The execution that took the lease last, or null if it was never taken. */
  readonly owner: string | null;
  readonly fencingToken: number;
  readonly lockedAt: string | null;
  readonly lockUntil: string | null;
  readonly releasedAt: string | null;
  /** UTC_TIMESTAMP(6) when the row was read. */
  readonly databaseTime: string;
  /** Whether the owner asked about holds a live, unreleased lease at databaseTime. */
  readonly heldByOwner: boolean;
}

export interface AcquireRequest {
  readonly lockName: string;
  readonly owner: string;
  readonly holdSeconds: number;
}

export interface AcquireResult {
  readonly acquired: boolean;
  readonly lease: LeaseRow;
}

export interface ReleaseRequest {
  readonly lockName: string;
  readonly owner: string;
  /** The token from acquire, or null when the caller never learned it (see releaseSql). */
  readonly fencingToken: number | null;
  readonly minHoldSeconds: number;
}

/**
 * - `released`: this call ended the lease.
 * - `already-released`: an earlier attempt of the same release ended it (a retried step).
 * - `lost`: the lease had expired and another execution took it, or it was never taken.
 */
export type ReleaseStatus = 'released' | 'already-released' | 'lost';

export interface ReleaseResult {
  readonly status: ReleaseStatus;
  /** The row after the release; read only when the release matched nothing. */
  readonly lease: LeaseRow | null;
}

/** The lease rules over any SqlExecutor: one row per lock name in one table. */
export class LeaseStore {
  readonly table: string;
  readonly #executor: SqlExecutor;

  constructor(executor: SqlExecutor, table: string) {
    if (!TABLE_NAME_PATTERN.test(table)) {
      throw new InvalidInputError('table', `"${table}" is not allowed; use 1 to 64 letters, digits or underscores, not starting with a digit`);
    }
    this.#executor = executor;
    this.table = table;
  }

  async ensureTable(): Promise<void> {
    await this.#executor.execute(createTableSql(this.table));
  }

  /** Inserts the lock's row if it is missing. Returns whether this call inserted it. */
  async insertRow(lockName: string): Promise<boolean> {
    validateLockName(lockName);
    const result = await this.#executor.execute(insertRowSql(this.table), { lockName });
    return result.updateCount > 0;
  }

  /** Takes the lease if it is free, then decides from the row read back with the database time. */
  async acquire(request: AcquireRequest): Promise<AcquireResult> {
    validateLockName(request.lockName);
    validateOwner(request.owner);
    if (!Number.isInteger(request.holdSeconds) || request.holdSeconds < 1) {
      throw new InvalidInputError('holdSeconds', `${request.holdSeconds} is not a positive whole number of seconds`);
    }

    // Two statements, in one round trip where the executor can batch them.
    const [, readBack] = await executeInOrder(this.#executor, [
      { sql: acquireSql(this.table), parameters: { lockName: request.lockName, owner: request.owner, holdSeconds: request.holdSeconds } },
      { sql: readLeaseSql(this.table), parameters: { lockName: request.lockName, owner: request.owner } },
    ]);
    const [row] = readBack?.rows ?? [];
    const lease = row === undefined ? null : toLeaseRow(row);
    if (lease === null) {
      throw new LockStoreError(`Lock row "${request.lockName}" is missing from table ${this.table}; InsertLockRow must run before AcquireLock`);
    }
    return { acquired: lease.heldByOwner, lease };
  }

  /**
   * Ends the lease if `owner` with `fencingToken` still holds it. An update count of 1 is
   * conclusive, because the statement sets released_at from NULL to a time and so changes the
   * row it matches under either counting rule; 0 is classified by reading the row back.
   */
  async release(request: ReleaseRequest): Promise<ReleaseResult> {
    validateLockName(request.lockName);
    validateOwner(request.owner);

    const result = await this.#executor.execute(releaseSql(this.table), {
      lockName: request.lockName,
      owner: request.owner,
      fencingToken: request.fencingToken,
      minHoldSeconds: request.minHoldSeconds,
    });
    if (result.updateCount > 0) {
      return { status: 'released', lease: null };
    }

    const lease = await this.read(request.lockName, request.owner);
    const releasedByThisOwner =
      lease !== null &&
      lease.owner === request.owner &&
      (request.fencingToken === null || lease.fencingToken === request.fencingToken) &&
      lease.releasedAt !== null;
    return { status: releasedByThisOwner ? 'already-released' : 'lost', lease };
  }

  /** Reads the row, or null if it does not exist. `heldByOwner` is decided for `owner`. */
  async read(lockName: string, owner: string | null = null): Promise<LeaseRow | null> {
    const { rows } = await this.#executor.execute(readLeaseSql(this.table), { lockName, owner });
    const [row] = rows;
    return row === undefined ? null : toLeaseRow(row);
  }
}

export function validateLockName(lockName: string): void {
  if (!LOCK_NAME_PATTERN.test(lockName) || lockName.length > LOCK_NAME_MAX_LENGTH) {
    throw new InvalidInputError('job', `"${lockName}" is not a valid lock name; use 1 to ${LOCK_NAME_MAX_LENGTH} lowercase letters, digits, "-" or "_", starting with a letter`);
  }
}

/** Rejects an owner that the column would truncate, which could make two owners equal. */
export function validateOwner(owner: string): void {
  if (owner.length === 0 || owner.length > OWNER_MAX_LENGTH) {
    throw new InvalidInputError('owner', `the owner must be 1 to ${OWNER_MAX_LENGTH} characters, got ${owner.length}; it is the execution ARN`);
  }
}

function toLeaseRow(row: SqlRow): LeaseRow {
  return {
    lockName: requireText(row, 'lock_name'),
    owner: nullableText(row, 'owner'),
    fencingToken: Number(row['fencing_token']),
    lockedAt: databaseIsoOrNull(nullableText(row, 'locked_at')),
    lockUntil: databaseIsoOrNull(nullableText(row, 'lock_until')),
    releasedAt: databaseIsoOrNull(nullableText(row, 'released_at')),
    databaseTime: parseDatabaseDatetime(requireText(row, 'database_time')).iso,
    heldByOwner: Number(row['held_by_owner']) === 1,
  };
}

function requireText(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') {
    throw new LockStoreError(`Column ${column} returned ${JSON.stringify(value)}, expected text`);
  }
  return value;
}

function nullableText(row: SqlRow, column: string): string | null {
  return row[column] === null ? null : requireText(row, column);
}
