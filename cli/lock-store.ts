import type { Command } from 'commander';
import { ENVIRONMENT_VARIABLES } from '../functions/shared/config.ts';
import { ConfigurationError, CronlockError, LockStoreError, LockStoreUnavailableError } from '../functions/shared/errors.ts';
import { DEFAULT_TABLE_NAME, TABLE_NAME_PATTERN } from '../functions/shared/lease/lease-sql.ts';
import {
  DATABASE_NAME_VARIABLE,
  DATABASE_URL_VARIABLE,
  DATA_API_CLUSTER_ARN_VARIABLE,
  DATA_API_SECRET_ARN_VARIABLE,
  openExecutorFromEnvironment,
  readLockStoreSettings,
} from '../functions/shared/store/open-executor.ts';
import { maskDatabaseUrl } from '../functions/shared/store/mysql-executor.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';
import { CliError, EXIT_CODES } from './exit-codes.ts';

/**
 * The lock store options of `status` and `release`. They take the place of the variables the
 * Lambda functions read, so that an operator can point the CLI at the same database: a MySQL URL,
 * or the RDS Data API cluster, secret and database.
 */
export interface LockStoreOptions {
  readonly databaseUrl?: string;
  readonly clusterArn?: string;
  readonly secretArn?: string;
  readonly database?: string;
  readonly table?: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Command-line option for each variable, for messages. */
const OPTION_FOR_VARIABLE: Readonly<Record<string, string>> = {
  [DATABASE_URL_VARIABLE]: '--database-url',
  [DATA_API_CLUSTER_ARN_VARIABLE]: '--cluster-arn',
  [DATA_API_SECRET_ARN_VARIABLE]: '--secret-arn',
  [DATABASE_NAME_VARIABLE]: '--database',
};

export function addLockStoreOptions(command: Command): Command {
  return command
    .option('--database-url <url>', `MySQL URL of the WHMCS database, mysql://user:password@host:3306/whmcs (default: ${DATABASE_URL_VARIABLE})`)
    .option('--cluster-arn <arn>', `Aurora cluster ARN, to use the RDS Data API (default: ${DATA_API_CLUSTER_ARN_VARIABLE})`)
    .option('--secret-arn <arn>', `ARN of the Secrets Manager secret for the Data API (default: ${DATA_API_SECRET_ARN_VARIABLE})`)
    .option('--database <name>', `database that holds the lock table, for the Data API (default: ${DATABASE_NAME_VARIABLE})`)
    .option('--table <name>', `lock table (default: ${ENVIRONMENT_VARIABLES.table} or ${DEFAULT_TABLE_NAME})`);
}

/**
 * Returns the variables for openExecutorFromEnvironment. Options replace the environment: a
 * --database-url drops the Data API variables, and any Data API option drops the URL, so a
 * variable left in the shell never conflicts with what was passed.
 */
export function lockStoreEnvironment(options: LockStoreOptions, environment: Environment = process.env): Record<string, string | undefined> {
  if (options.databaseUrl !== undefined) {
    return { [DATABASE_URL_VARIABLE]: options.databaseUrl };
  }
  if (options.clusterArn !== undefined || options.secretArn !== undefined || options.database !== undefined) {
    return {
      [DATA_API_CLUSTER_ARN_VARIABLE]: options.clusterArn ?? environment[DATA_API_CLUSTER_ARN_VARIABLE],
      [DATA_API_SECRET_ARN_VARIABLE]: options.secretArn ?? environment[DATA_API_SECRET_ARN_VARIABLE],
      [DATABASE_NAME_VARIABLE]: options.database ?? environment[DATABASE_NAME_VARIABLE],
    };
  }
  return {
    [DATABASE_URL_VARIABLE]: environment[DATABASE_URL_VARIABLE],
    [DATA_API_CLUSTER_ARN_VARIABLE]: environment[DATA_API_CLUSTER_ARN_VARIABLE],
    [DATA_API_SECRET_ARN_VARIABLE]: environment[DATA_API_SECRET_ARN_VARIABLE],
    [DATABASE_NAME_VARIABLE]: environment[DATABASE_NAME_VARIABLE],
  };
}

export interface OpenedLockStore {
  readonly executor: SqlExecutor;
  readonly table: string;
  /** Location of the lock table without passwords, for notes and JSON results. */
  readonly location: string;
}

export type OpenExecutor = (environment: Environment) => SqlExecutor;

/** Opens the lock store the options or environment select. Throws CliError naming the option to pass. */
export function openLockStore(
  options: LockStoreOptions,
  environment: Environment = process.env,
  openExecutor: OpenExecutor = openExecutorFromEnvironment,
): OpenedLockStore {
  const table = options.table ?? environment[ENVIRONMENT_VARIABLES.table] ?? DEFAULT_TABLE_NAME;
  if (!TABLE_NAME_PATTERN.test(table)) {
    throw new CliError(`--table "${table}" is not a valid table name; use 1 to 64 letters, digits or underscores, not starting with a digit`);
  }
  const storeEnvironment = lockStoreEnvironment(options, environment);
  try {
    const settings = readLockStoreSettings(storeEnvironment);
    const location = settings.kind === 'mysql'
      ? maskDatabaseUrl(settings.databaseUrl)
      : `Data API ${settings.resourceArn} database ${settings.database}`;
    return { executor: openExecutor(storeEnvironment), table, location: `${location} table ${table}` };
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new CliError(withOptionNames(error.message));
    }
    throw error;
  }
}

/** Adds the option name after each variable name in a message: "CRONLOCK_DATABASE_URL (--database-url)". */
function withOptionNames(message: string): string {
  let text = message;
  for (const [variable, option] of Object.entries(OPTION_FOR_VARIABLE)) {
    text = text.replaceAll(variable, `${variable} (${option})`);
  }
  return text;
}

/**
 * Turns a lock store error into a CliError with the advice for an operator: a store that cannot
 * be reached is a failure, and so is an SQL error. Other errors pass through.
 */
export function describeLockStoreError(error: unknown, location: string): unknown {
  if (error instanceof LockStoreUnavailableError) {
    return new CliError(`Cannot reach the lock store (${location}): ${error.message}. Check the network path, the database status and the credentials.`, EXIT_CODES.failure);
  }
  if (error instanceof LockStoreError) {
    const cause = (error as { cause?: unknown }).cause;
    const credentials = cause instanceof Error && /credential/i.test(`${cause.name} ${cause.message}`)
      ? ' Set AWS_PROFILE and run "aws sso login", or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.'
      : '';
    return new CliError(`Lock store error (${location}): ${error.message}${credentials}`, EXIT_CODES.failure);
  }
  if (error instanceof CronlockError) {
    return new CliError(`${error.name}: ${error.message}`);
  }
  return error;
}
