/**
 * The SQL of the lease, built from named parts. Every time in these statements is
 * UTC_TIMESTAMP(6), which the database evaluates once per statement. No statement carries a time
 * computed by the caller, because the caller's clock may be wrong. NOW() is not used because it
 * depends on the session time zone, and Data API calls do not share a session.
 *
 * Timeline of one row (T = UTC_TIMESTAMP(6) of the statement that runs at that moment):
 *
 *   acquire at T0   owner = E1, fencing_token + 1, locked_at = T0, lock_until = T0 + hold
 *   release at T1   released_at = T1, lock_until = min(lock_until, max(T1, T0 + minHold))
 *   acquire at T2   succeeds only if lock_until <= T2 (the lease expired or was released)
 */

/** Allowed table names: a plain identifier, so it can be quoted with backticks without escaping. */
export const TABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The default lock table, beside the WHMCS tables (which all start with `tbl`). */
export const DEFAULT_TABLE_NAME = 'tblcronlock';

/** Length of the `owner` column. An owner is an execution ARN, at most about 230 characters. */
export const OWNER_MAX_LENGTH = 255;

/** Length of the `lock_name` column. */
export const LOCK_NAME_MAX_LENGTH = 64;

/** The database clock in every lease statement. */
export const DATABASE_NOW = 'UTC_TIMESTAMP(6)';

/**
 * Builds the boundary rule, written once: a lease is free at instant `now` (an SQL expression)
 * when it was never taken or when `lock_until <= now`. So a lease with lock_until
 * 10:30:00.000000 is still taken at 10:29:59.999999 and free at 10:30:00.000000.
 */
export function leaseFreeCondition(now: string): string {
  return `(lock_until IS NULL OR lock_until <= ${now})`;
}

export function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
  lock_name VARCHAR(${LOCK_NAME_MAX_LENGTH}) NOT NULL,
  owner VARCHAR(${OWNER_MAX_LENGTH}) NULL,
  fencing_token BIGINT UNSIGNED NOT NULL DEFAULT 0,
  locked_at DATETIME(6) NULL,
  lock_until DATETIME(6) NULL,
  released_at DATETIME(6) NULL,
  PRIMARY KEY (lock_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='cronlock leases, one row per job'`;
}

export function insertRowSql(table: string): string {
  return `INSERT IGNORE INTO \`${table}\` (lock_name) VALUES (:lockName)`;
}

/**
 * Takes a free lease in one statement. The case "the owner is this same execution" is decided by
 * the read-back, not here. So a retried acquire whose first attempt committed matches nothing and
 * changes nothing, and the read-back then finds the execution holding the lease with its original
 * fencing token and lease end.
 */
export function acquireSql(table: string): string {
  return `UPDATE \`${table}\`
SET owner = :owner,
    fencing_token = fencing_token + 1,
    locked_at = ${DATABASE_NOW},
    lock_until = ${DATABASE_NOW} + INTERVAL :holdSeconds SECOND,
    released_at = NULL
WHERE lock_name = :lockName
  AND ${leaseFreeCondition(DATABASE_NOW)}`;
}

/**
 * Reads the row with the database time, and decides in the same statement whether `:owner` holds
 * a live lease, so the decision uses the database clock and the boundary rule above.
 */
export function readLeaseSql(table: string): string {
  return `SELECT lock_name, owner, fencing_token, locked_at, lock_until, released_at,
       ${DATABASE_NOW} AS database_time,
       (owner <=> :owner AND released_at IS NULL AND NOT ${leaseFreeCondition(DATABASE_NOW)}) AS held_by_owner
FROM \`${table}\`
WHERE lock_name = :lockName`;
}

/**
 * Ends the lease of `:owner` with `:fencingToken`. The lock stays taken until the minimum hold
 * after locked_at has passed, so a duplicate trigger in the same 5-minute slot skips, but release
 * never extends the lease past its current lock_until. A NULL `:fencingToken` matches any token of
 * this owner, for failure paths that never learned the token; owners are unique per execution.
 */
export function releaseSql(table: string): string {
  return `UPDATE \`${table}\`
SET released_at = ${DATABASE_NOW},
    lock_until = LEAST(lock_until, GREATEST(${DATABASE_NOW}, locked_at + INTERVAL :minHoldSeconds SECOND))
WHERE lock_name = :lockName
  AND owner = :owner
  AND (:fencingToken IS NULL OR fencing_token = :fencingToken)
  AND released_at IS NULL`;
}
