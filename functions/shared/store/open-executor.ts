import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ConfigurationError } from '../errors.ts';
import { CLUSTER_ARN_PATTERN, SECRET_ARN_PATTERN } from './data-api-arns.ts';
import { LOCK_STORE_BACKEND_VARIABLE, type LockStoreBackend } from './lock-store-backend.ts';
import { createMysqlExecutor, parseDatabaseUrl } from './mysql-executor.ts';
import type { SqlExecutor } from './sql-executor.ts';

/**
 * The Data API executor, which imports @aws-sdk/client-rds-data. A package built for a MySQL URL
 * stage has CRONLOCK_LOCK_STORE_BACKEND as the constant "mysql", so esbuild drops this import as
 * dead code and the functions never load the Data API client. Everywhere else it is loaded here.
 */
const dataApiExecutorModule = process.env.CRONLOCK_LOCK_STORE_BACKEND === 'mysql' ? undefined : await import('./data-api-executor.ts');

/** A direct MySQL connection: `mysql://user:password@host:3306/database`. */
export const DATABASE_URL_VARIABLE = 'CRONLOCK_DATABASE_URL';

/** The RDS Data API: all three are needed together. */
export const DATA_API_CLUSTER_ARN_VARIABLE = 'CRONLOCK_DATA_API_CLUSTER_ARN';
export const DATA_API_SECRET_ARN_VARIABLE = 'CRONLOCK_DATA_API_SECRET_ARN';
export const DATABASE_NAME_VARIABLE = 'CRONLOCK_DATABASE_NAME';

const DATA_API_VARIABLES = [DATA_API_CLUSTER_ARN_VARIABLE, DATA_API_SECRET_ARN_VARIABLE, DATABASE_NAME_VARIABLE] as const;

const URL_FORM = 'mysql://user:password@host:3306/database';

/** A MySQL database name: 1 to 64 characters without `/`, `\`, `.` or control characters. */
const DATABASE_NAME_PATTERN = /^[^/\\.\p{Cc}]{1,64}$/u;

/** The lock store that the environment selects. `databaseUrl` may contain a password: never log it. */
export type LockStoreSettings =
  | { readonly kind: 'data-api'; readonly resourceArn: string; readonly secretArn: string; readonly database: string }
  | { readonly kind: 'mysql'; readonly databaseUrl: string };

export interface OpenExecutorOptions {
  /** The client for the Data API. Default: a new client with retries off (see createDefaultDataApiClient). */
  readonly dataApiClient?: RDSDataClient;
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the lock store settings: the three CRONLOCK_DATA_API_* and
 * CRONLOCK_DATABASE_NAME settings for the RDS Data API, or CRONLOCK_DATABASE_URL for a direct
 * connection, never both. Throws ConfigurationError that names the setting and what to set, and
 * never shows a password.
 */
export function readLockStoreSettings(environment: Environment = process.env): LockStoreSettings {
  const databaseUrl = readSetting(environment, DATABASE_URL_VARIABLE);
  const present = DATA_API_VARIABLES.filter((name) => readSetting(environment, name) !== undefined);

  if (databaseUrl !== undefined && present.length > 0) {
    throw new ConfigurationError(
      DATABASE_URL_VARIABLE,
      `is set together with ${present.join(', ')}; configure one lock store: remove ${DATABASE_URL_VARIABLE} to use the RDS Data API, or remove ${present.join(', ')} to connect directly`,
    );
  }
  if (databaseUrl !== undefined) {
    validateDatabaseUrl(databaseUrl);
    return Object.freeze({ kind: 'mysql', databaseUrl });
  }
  if (present.length === 0) {
    throw new ConfigurationError(
      `${DATA_API_CLUSTER_ARN_VARIABLE} or ${DATABASE_URL_VARIABLE}`,
      `no lock store is configured; set ${DATA_API_VARIABLES.join(', ')} to use the RDS Data API, or set ${DATABASE_URL_VARIABLE} to ${URL_FORM} to connect directly`,
    );
  }

  const missing = DATA_API_VARIABLES.filter((name) => !present.includes(name));
  if (missing.length > 0) {
    throw new ConfigurationError(
      missing.join(', '),
      `${missing.length === 1 ? 'is' : 'are'} not set, but ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'}; the RDS Data API needs ${DATA_API_VARIABLES.join(', ')} together`,
    );
  }

  const resourceArn = readSetting(environment, DATA_API_CLUSTER_ARN_VARIABLE) as string;
  const secretArn = readSetting(environment, DATA_API_SECRET_ARN_VARIABLE) as string;
  const database = readSetting(environment, DATABASE_NAME_VARIABLE) as string;
  validateClusterArn(resourceArn);
  validateSecretArn(secretArn);
  validateDatabaseName(database);
  return Object.freeze({ kind: 'data-api', resourceArn, secretArn, database });
}

/**
 * Opens the executor that the environment configures. Throws ConfigurationError naming what to
 * set, also when the package was built for the other backend. It runs no statement, and a MySQL
 * executor loads mysql2 on its first statement.
 */
export function openExecutorFromEnvironment(environment: Environment = process.env, options: OpenExecutorOptions = {}): SqlExecutor {
  const settings = readLockStoreSettings(environment);
  checkBuiltBackend(settings.kind);
  if (settings.kind === 'mysql') {
    return createMysqlExecutor(settings.databaseUrl);
  }
  if (dataApiExecutorModule === undefined) {
    // checkBuiltBackend has already rejected Data API settings in a package built for MySQL.
    throw new ConfigurationError(LOCK_STORE_BACKEND_VARIABLE, 'is "mysql", so this package does not contain the Data API executor');
  }
  return dataApiExecutorModule.createDataApiExecutor({
    resourceArn: settings.resourceArn,
    secretArn: settings.secretArn,
    database: settings.database,
    ...(options.dataApiClient === undefined ? {} : { client: options.dataApiClient }),
  });
}

/**
 * Rejects a lock store that the package was not built for. serverless.yml defines
 * CRONLOCK_LOCK_STORE_BACKEND from the stage settings when it packages: a Data API package does not
 * contain mysql2, and a MySQL package does not contain the Data API executor. Unbundled code reads
 * the variable from the environment, where it is normally unset, and then either backend is accepted.
 */
function checkBuiltBackend(backend: LockStoreBackend): void {
  const builtBackend = process.env.CRONLOCK_LOCK_STORE_BACKEND;
  if (builtBackend === undefined || builtBackend === backend) {
    return;
  }
  if (builtBackend === 'data-api') {
    throw new ConfigurationError(
      DATABASE_URL_VARIABLE,
      `is set, but this package was built for the RDS Data API and does not contain the MySQL driver; set database.url in the stage settings (config/stages/STAGE.yml) and package again to connect directly, or remove ${DATABASE_URL_VARIABLE} and set ${DATA_API_VARIABLES.join(', ')}`,
    );
  }
  if (builtBackend === 'mysql') {
    throw new ConfigurationError(
      DATA_API_VARIABLES.join(', '),
      `are set, but this package was built for a direct MySQL connection; set database.clusterArn, database.secretArn and database.name in the stage settings (config/stages/STAGE.yml) and package again to use the RDS Data API, or set ${DATABASE_URL_VARIABLE} instead`,
    );
  }
  throw new ConfigurationError(LOCK_STORE_BACKEND_VARIABLE, `"${builtBackend}" is not a lock store backend; use "data-api" or "mysql", or leave it unset to accept both`);
}

/** Returns the trimmed setting, or undefined when it is missing or blank. */
function readSetting(environment: Environment, name: string): string | undefined {
  const value = environment[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function validateClusterArn(value: string): void {
  if (CLUSTER_ARN_PATTERN.test(value)) {
    return;
  }
  const instanceHint = /^arn:aws[-a-z]*:rds:[^:]*:[^:]*:db:/.test(value) ? ' It names a DB instance, but the Data API needs the ARN of its cluster.' : '';
  throw new ConfigurationError(
    DATA_API_CLUSTER_ARN_VARIABLE,
    `${describeArnValue(value)} is not an Aurora cluster ARN; set it to arn:aws:rds:REGION:ACCOUNT:cluster:NAME, the DBClusterArn that "aws rds describe-db-clusters" prints.${instanceHint}`,
  );
}

function validateSecretArn(value: string): void {
  if (SECRET_ARN_PATTERN.test(value)) {
    return;
  }
  throw new ConfigurationError(
    DATA_API_SECRET_ARN_VARIABLE,
    `${describeArnValue(value)} is not a Secrets Manager secret ARN; set it to the full ARN arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME of the secret with the database username and password, not the secret's name or value.`,
  );
}

/**
 * Shows a value only when it looks like an ARN. Anything else may be a secret value or a password
 * pasted into the wrong setting, so it is described instead of shown.
 */
function describeArnValue(value: string): string {
  return value.startsWith('arn:') && !/\s/.test(value) ? `"${value}"` : `the value (not shown, because it does not start with "arn:")`;
}

function validateDatabaseName(value: string): void {
  if (!DATABASE_NAME_PATTERN.test(value)) {
    throw new ConfigurationError(DATABASE_NAME_VARIABLE, `"${value}" is not a MySQL database name; set it to the name of the WHMCS database (1 to 64 characters, without "/", "\\" or ".")`);
  }
}

/**
 * Checks the URL without ever putting the password into a message: an unparsable value is not
 * shown at all, and a parsable one only with its password replaced by `***`.
 */
function validateDatabaseUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(DATABASE_URL_VARIABLE, `is not a valid URL (the value is not shown, because it may contain a password); set it to ${URL_FORM}`);
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigurationError(DATABASE_URL_VARIABLE, `uses the scheme "${url.protocol}", which is not supported; set it to ${URL_FORM}`);
  }
  if (url.pathname === '' || url.pathname === '/') {
    throw new ConfigurationError(DATABASE_URL_VARIABLE, `${redactPassword(url)} names no database; add it as the path, for example mysql://user:password@host:3306/whmcs`);
  }
  try {
    parseDatabaseUrl(value);
  } catch {
    // The cause is left out because its message may show the URL.
    throw new ConfigurationError(DATABASE_URL_VARIABLE, `${redactPassword(url)} cannot be read; check its percent-encoding and set it to ${URL_FORM}`);
  }
}

function redactPassword(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') {
    copy.password = '***';
  }
  return copy.href;
}
