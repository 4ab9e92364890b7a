/**
 * The one interface through which cronlock talks to its lock store. The lease rules live above
 * it once, and each backend (a direct MySQL connection, the RDS Data API) implements it.
 */

/** A parameter or column value. DATETIME columns come back as text, `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
export type SqlValue = string | number | null;

/** Named parameters, written `:name` in the SQL text. */
export type SqlParameters = Readonly<Record<string, SqlValue>>;

export type SqlRow = Readonly<Record<string, SqlValue>>;

export interface SqlResult {
  readonly rows: readonly SqlRow[];
  /**
   * Rows the statement reported as updated. Drivers disagree on whether this counts matched or
   * changed rows, so lease decisions never rest on it alone.
   */
  readonly updateCount: number;
}

export interface SqlStatement {
  readonly sql: string;
  readonly parameters: SqlParameters;
}

export interface SqlExecutor {
  /** Runs one statement. Throws LockStoreUnavailableError for transient faults, LockStoreError otherwise. */
  execute(sql: string, parameters?: SqlParameters): Promise<SqlResult>;
  /**
   * Runs statements in order in one round trip, where the backend can; optional. MariaDB may give
   * all statements of one batch the same UTC_TIMESTAMP(6), so no statement may rely on time
   * passing between them.
   */
  executeBatch?(statements: readonly SqlStatement[]): Promise<SqlResult[]>;
  close(): Promise<void>;
}

/** Runs statements in order: in one round trip when the executor offers it, else one by one. */
export async function executeInOrder(executor: SqlExecutor, statements: readonly SqlStatement[]): Promise<SqlResult[]> {
  if (executor.executeBatch !== undefined) {
    return executor.executeBatch(statements);
  }
  const results: SqlResult[] = [];
  for (const statement of statements) {
    results.push(await executor.execute(statement.sql, statement.parameters));
  }
  return results;
}
