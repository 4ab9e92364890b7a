import { ConfigurationError } from '../errors.ts';
import { createMysqlExecutor } from './mysql-executor.ts';
import type { SqlExecutor } from './sql-executor.ts';

export const DATABASE_URL_VARIABLE = 'CRONLOCK_DATABASE_URL';

/** Opens the executor that the environment configures. Throws ConfigurationError naming what to set. */
export function openExecutorFromEnvironment(environment: Readonly<Record<string, string | undefined>> = process.env): SqlExecutor {
  const databaseUrl = environment[DATABASE_URL_VARIABLE];
  if (databaseUrl === undefined || databaseUrl === '') {
    throw new ConfigurationError(DATABASE_URL_VARIABLE, 'is not set; set it to mysql://user:password@host:3306/database');
  }
  return createMysqlExecutor(databaseUrl);
}
