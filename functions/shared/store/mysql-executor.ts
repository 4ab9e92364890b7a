import type mysql from 'mysql2/promise';
import type { Pool, Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ConfigurationError, LockStoreError, LockStoreUnavailableError } from '../errors.ts';
import { LOCK_STORE_BACKEND_VARIABLE } from './lock-store-backend.ts';
import type { SqlExecutor, SqlParameters, SqlResult, SqlRow, SqlStatement, SqlValue } from './sql-executor.ts';

/** mysql2 and server error codes that mean the connection, not the statement, failed. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'ENOENT', // a Unix socket path that does not exist (yet)
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
]);

/** Default size of the connection pool, per process. A Lambda function runs one request at a time. */
export const DEFAULT_CONNECTION_LIMIT = 2;

type Queryable = Pool | Connection;

/**
 * Executes SQL over a direct MySQL or MariaDB connection (mysql2). The first statement calls
 * `open`, so an executor from createMysqlExecutor loads mysql2 only when it runs a statement.
 */
export class MysqlExecutor implements SqlExecutor {
  readonly #open: () => Promise<Queryable>;
  #queryable: Promise<Queryable> | undefined;
  #closed = false;

  /** `open` creates the pool or connection. The first statement calls it, and no other call does. */
  constructor(open: () => Promise<Queryable>) {
    this.#open = open;
  }

  async execute(sql: string, parameters: SqlParameters = {}): Promise<SqlResult> {
    return toSqlResult(await this.#query(sql, parameters));
  }

  /**
   * Sends the statements as one multi-statement query, one round trip. Their named parameters
   * share one namespace, so a name used twice must carry the same value. mysql2 escapes every
   * value on the client; statements are never built from values.
   */
  async executeBatch(statements: readonly SqlStatement[]): Promise<SqlResult[]> {
    if (statements.length < 2) {
      return Promise.all(statements.map((statement) => this.execute(statement.sql, statement.parameters)));
    }
    const parameters: Record<string, SqlValue> = {};
    for (const statement of statements) {
      for (const [name, value] of Object.entries(statement.parameters)) {
        if (Object.hasOwn(parameters, name) && parameters[name] !== value) {
          throw new LockStoreError(`Batched statements give parameter :${name} two values; run them one by one`);
        }
        parameters[name] = value;
      }
    }
    const results = await this.#query(statements.map((statement) => statement.sql).join(';\n'), parameters);
    if (!Array.isArray(results) || results.length !== statements.length) {
      throw new LockStoreError(`A batch of ${statements.length} statements returned ${Array.isArray(results) ? results.length : 1} results`);
    }
    return results.map((result) => toSqlResult(result));
  }

  async #query(sql: string, parameters: SqlParameters): Promise<unknown> {
    if (this.#closed && this.#queryable === undefined) {
      throw new LockStoreError('SQL statement failed: the MySQL executor is closed');
    }
    const queryable = await (this.#queryable ??= this.#open());
    try {
      const [result] = await queryable.query({ sql, values: parameters, namedPlaceholders: true });
      return result;
    } catch (error) {
      throw classifyMysqlError(error);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#queryable !== undefined) {
      await (await this.#queryable).end();
    }
  }
}

function toSqlResult(result: unknown): SqlResult {
  if (Array.isArray(result)) {
    return { rows: (result as RowDataPacket[]).map(toSqlRow), updateCount: 0 };
  }
  return { rows: [], updateCount: (result as ResultSetHeader).affectedRows };
}

/** Connection options that make every backend return the same plain values. */
const CONNECTION_OPTIONS = {
  // DATETIME(6) as text: no conversion through the process time zone, no loss of microseconds.
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: false,
  namedPlaceholders: true,
  // For executeBatch: the acquire's UPDATE and its read-back in one round trip.
  multipleStatements: true,
  timezone: 'Z',
} as const;

/**
 * Creates a pooled executor from a `mysql://user:password@host:port/database` URL. The URL is
 * checked here, and the first statement loads mysql2 and creates the pool.
 */
export function createMysqlExecutor(databaseUrl: string, connectionLimit = DEFAULT_CONNECTION_LIMIT): MysqlExecutor {
  const options = { ...parseDatabaseUrl(databaseUrl), ...CONNECTION_OPTIONS, connectionLimit };
  return new MysqlExecutor(async () => (await loadMysqlDriver()).createPool(options));
}

/** Creates an executor on one dedicated connection, for callers that need session settings to persist. */
export async function connectMysqlExecutor(databaseUrl: string): Promise<MysqlExecutor> {
  const options = { ...parseDatabaseUrl(databaseUrl), ...CONNECTION_OPTIONS };
  const driver = await loadMysqlDriver();
  let connection: Connection;
  try {
    connection = await driver.createConnection(options);
  } catch (error) {
    throw classifyMysqlError(error);
  }
  return new MysqlExecutor(() => Promise.resolve(connection));
}

/**
 * Loads mysql2. In a package built for a Data API stage, CRONLOCK_LOCK_STORE_BACKEND is the
 * constant "data-api", so esbuild removes the import below as dead code and leaves mysql2 out.
 */
async function loadMysqlDriver(): Promise<typeof mysql> {
  if (process.env.CRONLOCK_LOCK_STORE_BACKEND !== 'data-api') {
    return (await import('mysql2/promise')).default;
  }
  throw new ConfigurationError(
    LOCK_STORE_BACKEND_VARIABLE,
    'this package was built for the RDS Data API and does not contain mysql2; to connect with a MySQL URL, set database.url in the stage settings and package the stage again',
  );
}

/**
 * Parses a MySQL URL. A `socket` query parameter selects a Unix socket, for local servers.
 * Throws ConfigurationError that names the URL with its password masked.
 */
export function parseDatabaseUrl(databaseUrl: string): mysql.ConnectionOptions {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new ConfigurationError('database URL', 'the value is not a URL (not shown, as it may contain a password); expected mysql://user:password@host:3306/database');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigurationError('database URL', `scheme "${url.protocol}" is not supported; use mysql://user:password@host:3306/database`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '') {
    throw new ConfigurationError('database URL', `"${maskDatabaseUrl(databaseUrl)}" names no database; add it as the path, for example mysql://user@host/whmcs`);
  }
  const socketPath = url.searchParams.get('socket');
  return {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    ...(socketPath ? { socketPath } : { host: url.hostname, port: url.port ? Number(url.port) : 3306 }),
  };
}

/**
 * Returns the URL with its password replaced by `***`, safe for logs and messages. A value that
 * does not parse as a URL is not shown at all, because its password cannot be located.
 */
export function maskDatabaseUrl(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return '(a value that is not a URL)';
  }
  if (url.password !== '') {
    url.password = '***';
  }
  return url.toString();
}

function toSqlRow(row: RowDataPacket): SqlRow {
  const values: Record<string, SqlValue> = {};
  for (const [column, value] of Object.entries(row)) {
    values[column] = toSqlValue(column, value);
  }
  return values;
}

function toSqlValue(column: string, value: unknown): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number') {
    return value;
  }
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (Buffer.isBuffer(value)) {
    return value.toString('utf8');
  }
  throw new LockStoreError(`Column ${column} returned an unsupported value of type ${typeof value}`);
}

function classifyMysqlError(error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) {
    return new LockStoreUnavailableError('LockStoreConnectionError', `${code}: ${message}`, { cause: error });
  }
  const where = typeof code === 'string' ? ` (${code})` : '';
  return new LockStoreError(`SQL statement failed${where}: ${message}`, { cause: error });
}
