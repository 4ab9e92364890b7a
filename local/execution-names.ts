import { InvalidInputError } from '../functions/shared/errors.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';

/**
 * Step Functions accepts an execution name once per state machine, which keeps execution ARNs,
 * and so lease owners, unique. Local runs given a name keep the same promise in this table, in the
 * same database as the locks, so separate `cronlock local run` processes share it.
 */
export const LOCAL_EXECUTIONS_TABLE = 'cronlock_local_executions';

/** Execution names as Step Functions allows them: 1 to 80 characters, none of these. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it rejects
const EXECUTION_NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;

export async function registerExecutionName(executor: SqlExecutor, executionName: string): Promise<void> {
  if (!EXECUTION_NAME_PATTERN.test(executionName)) {
    throw new InvalidInputError('name', `"${executionName}" is not a valid execution name; use 1 to 80 characters without spaces, brackets, wildcards or any of " # % \\ ^ | ~ \` $ & , ; : /`);
  }
  await executor.execute(`CREATE TABLE IF NOT EXISTS ${LOCAL_EXECUTIONS_TABLE} (
  name VARCHAR(80) NOT NULL PRIMARY KEY,
  started_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  const { updateCount } = await executor.execute(
    `INSERT IGNORE INTO ${LOCAL_EXECUTIONS_TABLE} (name, started_at) VALUES (:name, UTC_TIMESTAMP(6))`,
    { name: executionName },
  );
  if (updateCount === 0) {
    throw new InvalidInputError('name', `ExecutionAlreadyExists: an execution named "${executionName}" has already run against this database; choose another --name`);
  }
}
