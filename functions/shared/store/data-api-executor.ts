import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import type { ColumnMetadata, ExecuteStatementCommandOutput, Field, RDSDataClientConfig, SqlParameter } from '@aws-sdk/client-rds-data';
import { LockStoreError, LockStoreUnavailableError, type TransientLockStoreErrorName } from '../errors.ts';
import { CLUSTER_ARN_PATTERN } from './data-api-arns.ts';
import type { SqlExecutor, SqlParameters, SqlResult, SqlRow, SqlValue } from './sql-executor.ts';

export { CLUSTER_ARN_PATTERN, SECRET_ARN_PATTERN } from './data-api-arns.ts';

/** Maximum wait for the HTTPS connection to the Data API endpoint in the default client. */
export const DEFAULT_CONNECTION_TIMEOUT_MILLISECONDS = 5_000;

/**
 * Maximum wait for one ExecuteStatement call in the default client. The Data API ends a
 * statement after 45 s with StatementTimeoutException, so this only fires when the response is lost.
 */
export const DEFAULT_REQUEST_TIMEOUT_MILLISECONDS = 55_000;

/** Text that the Data API receives with typeHint TIMESTAMP, so the database reads it as a DATETIME. */
const DATETIME_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/;

/** Shortest string parameter that is removed from error messages; shorter ones would mangle the text. */
const MIN_REDACTED_VALUE_LENGTH = 4;

/**
 * Data API exceptions that end by themselves. DatabaseResumingException comes from an Aurora
 * Serverless cluster that is resuming from zero capacity (about 15 s), and the JavaScript SDK v3
 * does not retry it. The state machine retries all of them, by these names.
 */
const TRANSIENT_DATA_API_ERROR_NAMES: ReadonlySet<string> = new Set<TransientLockStoreErrorName>([
  'DatabaseResumingException',
  'ServiceUnavailableError',
  'DatabaseUnavailableException',
  'InternalServerErrorException',
  'StatementTimeoutException',
]);

/** Node.js error codes of an HTTP request whose connection failed, was reset or timed out. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * The name that @smithy/node-http-handler gives to connection and request timeouts, and also to
 * ECONNRESET, EPIPE and ETIMEDOUT errors of a request.
 */
const NETWORK_ERROR_NAMES: ReadonlySet<string> = new Set(['TimeoutError']);

export interface DataApiExecutorOptions {
  /** The Aurora cluster ARN. */
  readonly resourceArn: string;
  /** The ARN of the Secrets Manager secret with the database user name and password. */
  readonly secretArn: string;
  /** The database (schema) that holds the lock table, such as the WHMCS database. */
  readonly database: string;
  /** Default: createDefaultDataApiClient(resourceArn). A client passed in is not destroyed by close(). */
  readonly client?: RDSDataClient;
}

/** Identifies the cluster, secret and database in error messages. */
interface DataApiTarget {
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
}

/**
 * Executes SQL through the RDS Data API. Every call is its own session and commits on its own;
 * DATETIME values come back as text without a zone and with trailing fractional zeros dropped.
 */
export class DataApiExecutor implements SqlExecutor {
  readonly #client: RDSDataClient;
  readonly #ownsClient: boolean;
  readonly #target: DataApiTarget;

  constructor(options: DataApiExecutorOptions) {
    this.#client = options.client ?? createDefaultDataApiClient(options.resourceArn);
    this.#ownsClient = options.client === undefined;
    this.#target = { resourceArn: options.resourceArn, secretArn: options.secretArn, database: options.database };
  }

  async execute(sql: string, parameters: SqlParameters = {}): Promise<SqlResult> {
    const command = new ExecuteStatementCommand({
      ...this.#target,
      sql,
      parameters: toSqlParameters(parameters),
      includeResultMetadata: true,
    });

    let output: ExecuteStatementCommandOutput;
    try {
      output = await this.#client.send(command);
    } catch (error) {
      throw classifyDataApiError(error, { target: this.#target, sql, parameters });
    }

    return {
      rows: toSqlRows(output.records, output.columnMetadata),
      updateCount: output.numberOfRecordsUpdated ?? 0,
    };
  }

  close(): Promise<void> {
    if (this.#ownsClient) {
      this.#client.destroy();
    }
    return Promise.resolve();
  }
}

export function createDataApiExecutor(options: DataApiExecutorOptions): DataApiExecutor {
  return new DataApiExecutor(options);
}

/**
 * Creates the client used when none is passed in. maxAttempts is 1 so that every retry happens in
 * the state machine's Retry blocks, where the execution history shows it. The region comes from
 * the cluster ARN, because the Data API only serves a cluster in the cluster's own region.
 * `overrides` (such as an endpoint for tests) apply to everything except maxAttempts.
 */
export function createDefaultDataApiClient(resourceArn: string, overrides: RDSDataClientConfig = {}): RDSDataClient {
  const region = CLUSTER_ARN_PATTERN.exec(resourceArn)?.[2];
  return new RDSDataClient({
    ...(region === undefined ? {} : { region }),
    requestHandler: {
      connectionTimeout: DEFAULT_CONNECTION_TIMEOUT_MILLISECONDS,
      requestTimeout: DEFAULT_REQUEST_TIMEOUT_MILLISECONDS,
      throwOnRequestTimeout: true,
    },
    ...overrides,
    maxAttempts: 1,
  });
}

/**
 * Converts named parameters to the Data API's typed fields: integers to longValue, other numbers
 * to doubleValue, null to isNull, and text to stringValue, with typeHint TIMESTAMP for text of the
 * form `YYYY-MM-DD HH:MM:SS[.ffffff]`.
 */
export function toSqlParameters(parameters: SqlParameters): SqlParameter[] {
  return Object.entries(parameters).map(([name, value]) => toSqlParameter(name, value));
}

function toSqlParameter(name: string, value: SqlValue): SqlParameter {
  if (value === null) {
    return { name, value: { isNull: true } };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new LockStoreError(`SQL parameter :${name} is not a finite number; the Data API cannot send NaN or Infinity`);
    }
    return Number.isSafeInteger(value) ? { name, value: { longValue: value } } : { name, value: { doubleValue: value } };
  }
  if (DATETIME_TEXT.test(value)) {
    return { name, value: { stringValue: value }, typeHint: 'TIMESTAMP' };
  }
  return { name, value: { stringValue: value } };
}

/** Maps Data API records to plain rows keyed by column label. */
export function toSqlRows(records: readonly (readonly Field[])[] | undefined, columns: readonly ColumnMetadata[] | undefined): SqlRow[] {
  if (records === undefined || records.length === 0) {
    return [];
  }
  if (columns === undefined) {
    throw new LockStoreError('The Data API returned records without column metadata; the executor sends includeResultMetadata: true and needs it to name the columns');
  }

  const labels = columns.map((column, index) => column.label ?? column.name ?? `column ${index + 1}`);
  return records.map((record) => {
    if (record.length !== labels.length) {
      throw new LockStoreError(`The Data API returned a record of ${record.length} fields for ${labels.length} columns`);
    }
    const row: Record<string, SqlValue> = {};
    record.forEach((field, index) => {
      const label = labels[index] as string;
      row[label] = toSqlValue(label, field);
    });
    return row;
  });
}

function toSqlValue(label: string, field: Field): SqlValue {
  if (field.isNull === true) {
    return null;
  }
  if (field.stringValue !== undefined) {
    return field.stringValue;
  }
  if (field.longValue !== undefined) {
    return field.longValue;
  }
  if (field.doubleValue !== undefined) {
    return field.doubleValue;
  }
  if (field.booleanValue !== undefined) {
    // MySQL has no boolean type: BOOLEAN is TINYINT(1), so booleans read as 1 and 0 as with mysql2.
    return field.booleanValue ? 1 : 0;
  }
  if (field.blobValue !== undefined) {
    return Buffer.from(field.blobValue).toString('utf8');
  }
  throw new LockStoreError(`Column ${label} returned a Data API value of a type that cronlock does not read (${Object.keys(field).join(', ')})`);
}

interface FailedStatement {
  readonly target: DataApiTarget;
  readonly sql: string;
  readonly parameters: SqlParameters;
}

/**
 * Turns an SDK or network error into the cronlock error family. Transient Data API exceptions
 * keep their own name (the state machine retries them by name), network failures become
 * LockStoreConnectionError, and everything else is a LockStoreError that names the fix.
 * The executor adds no parameter values to messages, and where the service's message repeats a
 * text parameter of MIN_REDACTED_VALUE_LENGTH or more characters, it is replaced by `<:name>`.
 */
export function classifyDataApiError(error: unknown, statement: FailedStatement): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const serviceMessage = redactParameters(error instanceof Error ? error.message : String(error), statement.parameters);
  const where = `${describeStatement(statement.sql)} on ${statement.target.resourceArn}`;

  if (TRANSIENT_DATA_API_ERROR_NAMES.has(name)) {
    return new LockStoreUnavailableError(name as TransientLockStoreErrorName, `${where} failed: ${serviceMessage}`, { cause: error });
  }
  if (isNetworkError(error)) {
    const code = networkErrorCode(error);
    const detail = code === undefined ? name : `${name} ${code}`;
    return new LockStoreUnavailableError('LockStoreConnectionError', `${where} got no response from the Data API (${detail}): ${serviceMessage}. The statement may or may not have run`, { cause: error });
  }
  return new LockStoreError(`${where} failed with ${name}: ${serviceMessage}. ${adviceFor(name, statement.target)}`, { cause: error });
}

function adviceFor(name: string, target: DataApiTarget): string {
  switch (name) {
    case 'HttpEndpointNotEnabledException':
      return `Enable the Data API (HTTP endpoint) on cluster ${target.resourceArn}.`;
    case 'ForbiddenException':
    case 'AccessDeniedException':
      return `Grant the function's role rds-data:ExecuteStatement on ${target.resourceArn} and secretsmanager:GetSecretValue on ${target.secretArn}, and enable the Data API on the cluster.`;
    case 'SecretsErrorException':
    case 'InvalidSecretException':
      return `Check secret ${target.secretArn}: grant secretsmanager:GetSecretValue (and kms:Decrypt for a customer managed key), and store the database username and password in it.`;
    case 'DatabaseNotFoundException':
      return `Check the database name "${target.database}" (CRONLOCK_DATABASE_NAME): it must exist on the cluster.`;
    case 'NotFoundException':
      return `Check that cluster ${target.resourceArn} and secret ${target.secretArn} exist in the same account and region.`;
    case 'InvalidResourceStateException':
      return `Check the status of cluster ${target.resourceArn}: it must be available.`;
    case 'BadRequestException':
    case 'DatabaseErrorException':
      return `Check the statement and the lock table in database "${target.database}"; if the message is about the HTTP endpoint, enable the Data API on the cluster.`;
    case 'CredentialsProviderError':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
      return "Check the AWS credentials of the function's role.";
    default:
      return 'A retry does not fix this error; check the Data API settings of the function.';
  }
}

function isNetworkError(error: unknown): error is Error {
  if (!(error instanceof Error)) {
    return false;
  }
  return NETWORK_ERROR_NAMES.has(error.name) || networkErrorCode(error) !== undefined;
}

/** Returns the network error code of the error or of its cause, which fetch-style handlers wrap. */
function networkErrorCode(error: Error): string | undefined {
  for (const candidate of [error, error.cause]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) {
      return code;
    }
  }
  return undefined;
}

/** Returns the first words of the statement. They carry no parameter values, which travel separately. */
function describeStatement(sql: string): string {
  const words = sql.trim().split(/\s+/);
  const start = words.slice(0, 3).join(' ');
  return `ExecuteStatement "${words.length > 3 ? `${start} ...` : start}"`;
}

function redactParameters(message: string, parameters: SqlParameters): string {
  let redacted = message;
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value === 'string' && value.length >= MIN_REDACTED_VALUE_LENGTH) {
      redacted = redacted.split(value).join(`<:${name}>`);
    }
  }
  return redacted;
}
