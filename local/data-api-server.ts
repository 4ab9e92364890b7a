/**
 * A local stand-in for the RDS Data API, so that the real @aws-sdk/client-rds-data client runs end
 * to end against a real MariaDB. It serves ExecuteStatement (restJson1, POST /Execute) on a
 * loopback address, over the database named by a mysql:// URL. The request and response shapes
 * follow the SDK's own schema in dist-es/schemas/schemas_0.js of @aws-sdk/client-rds-data 3.1143.
 * Requests carry typed parameter fields, and responses carry `records` of typed fields plus
 * `columnMetadata`. An error is an HTTP status with the exception name in `x-amzn-errortype` and a
 * JSON `message`.
 *
 * Transactions (BeginTransaction and the rest) are not served, because cronlock runs every
 * statement on its own. The signature is required but not verified.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RDSDataClient, type RDSDataClientConfig } from '@aws-sdk/client-rds-data';
import mysql from 'mysql2/promise';
import type { FieldPacket, Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { z } from 'zod';
import { parseDatabaseUrl } from '../functions/shared/store/mysql-executor.ts';
import { DATA_API_ERRORS, DataApiFaults, type DataApiErrorName } from './data-api-faults.ts';

export { DataApiFaults, type DataApiErrorName } from './data-api-faults.ts';

/** The cluster and secret that the local endpoint serves. The account is the documentation example. */
export const LOCAL_CLUSTER_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:cronlock-local';
export const LOCAL_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cronlock-local-Ab12Cd';

/** The endpoint listens only on loopback, so nothing outside this machine can reach the database. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Largest request body accepted, in bytes, so a runaway test cannot fill the memory of the endpoint. */
const MAX_REQUEST_BYTES = 1024 * 1024;

/** Connections to MariaDB. Every call takes one, so concurrent calls run concurrently as on the service. */
const POOL_CONNECTION_LIMIT = 10;

export interface LocalDataApiOptions {
  /** The MariaDB or MySQL database to serve, `mysql://user:password@host:port/database` or with `?socket=`. */
  readonly databaseUrl: string;
  /** Loopback address to listen on. Default 127.0.0.1. */
  readonly host?: string;
}

/** One ExecuteStatement call, as the endpoint handled it. */
export interface DataApiCall {
  readonly sql: string;
  /** `succeeded` with a result, `failed` with an error response, or `dropped` after the statement ran. */
  readonly outcome: 'succeeded' | 'failed' | 'dropped';
  readonly errorName: string | null;
}

export interface LocalDataApi {
  /** Such as `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
  /** Creates a client for this endpoint: region us-east-1, static fake credentials, maxAttempts 1. */
  createClient(overrides?: Partial<RDSDataClientConfig>): RDSDataClient;
  readonly faults: DataApiFaults;
  /**
   * Sets the database clock of every following statement (MariaDB's session variable
   * `timestamp`, which UTC_TIMESTAMP(6) follows) to an ISO 8601 UTC instant with up to 6
   * fractional digits, or returns it to the real clock with null.
   */
  setDatabaseTime(iso: string | null): Promise<void>;
  /** Every ExecuteStatement call so far, in order of arrival. */
  readonly calls: readonly DataApiCall[];
  close(): Promise<void>;
}

/** Starts the endpoint on a free port of a loopback address. */
export async function startLocalDataApi(options: LocalDataApiOptions): Promise<LocalDataApi> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new RangeError(`The local Data API listens only on loopback; "${host}" is not 127.0.0.1, ::1 or localhost`);
  }

  const connectionOptions = parseDatabaseUrl(options.databaseUrl);
  const database = connectionOptions.database as string;
  const pool = mysql.createPool({
    ...connectionOptions,
    connectionLimit: POOL_CONNECTION_LIMIT,
    dateStrings: true,
    jsonStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    timezone: 'Z',
  });
  const service = new LocalDataApiService(pool, database);

  // Handlers still running when close() is called finish before the pool ends.
  const inFlight = new Set<Promise<void>>();
  const server = createServer((request, response) => {
    const handled = service.handle(request, response).finally(() => inFlight.delete(handled));
    inFlight.add(handled);
  });
  try {
    await listen(server, host);
  } catch (error) {
    await pool.end();
    throw error;
  }

  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    endpoint,
    resourceArn: LOCAL_CLUSTER_ARN,
    secretArn: LOCAL_SECRET_ARN,
    database,
    createClient: (overrides = {}) =>
      new RDSDataClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCALDATAAPI', secretAccessKey: 'local-data-api-secret' },
        maxAttempts: 1,
        ...overrides,
      }),
    faults: service.faults,
    setDatabaseTime: (iso) => service.setDatabaseTime(iso),
    get calls() {
      return service.calls;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.all(inFlight);
      await pool.end();
    },
  };
}

function listen(server: Server, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Errors that AWS returns before a request reaches the Data API, which its model does not list. */
const FRONT_END_ERRORS = { UnknownOperationException: 404, MissingAuthenticationTokenException: 403 } as const;

type FrontEndErrorName = keyof typeof FRONT_END_ERRORS;

function isFrontEndError(name: string): name is FrontEndErrorName {
  return Object.hasOwn(FRONT_END_ERRORS, name);
}

/** An error response: the HTTP status and exception name that the SDK turns into its exception class. */
class DataApiErrorResponse extends Error {
  readonly errorName: string;
  readonly httpStatus: number;

  constructor(errorName: DataApiErrorName | FrontEndErrorName, message: string) {
    super(message);
    this.name = 'DataApiErrorResponse';
    this.errorName = errorName;
    this.httpStatus = isFrontEndError(errorName) ? FRONT_END_ERRORS[errorName] : DATA_API_ERRORS[errorName].httpStatus;
  }
}

// ExecuteStatementRequest as the SDK serializes it (JSON member names as in its schema).
const fieldSchema = z
  .strictObject({
    isNull: z.boolean(),
    booleanValue: z.boolean(),
    longValue: z.number().int(),
    doubleValue: z.number(),
    stringValue: z.string(),
    blobValue: z.base64(),
    arrayValue: z.unknown(),
  })
  .partial()
  .refine((field) => Object.keys(field).length === 1, 'a parameter value must set exactly one field');

const sqlParameterSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  value: fieldSchema,
  typeHint: z.enum(['DATE', 'DECIMAL', 'JSON', 'TIME', 'TIMESTAMP', 'UUID']).optional(),
});

const executeStatementRequestSchema = z.strictObject({
  resourceArn: z.string().min(1),
  secretArn: z.string().min(1),
  sql: z.string().min(1),
  database: z.string().optional(),
  schema: z.string().optional(),
  parameters: z.array(sqlParameterSchema).optional(),
  transactionId: z.string().optional(),
  includeResultMetadata: z.boolean().optional(),
  continueAfterTimeout: z.boolean().optional(),
  resultSetOptions: z.unknown().optional(),
  formatRecordsAs: z.enum(['NONE', 'JSON']).optional(),
});

type ExecuteStatementRequest = z.infer<typeof executeStatementRequestSchema>;
type SqlParameterInput = z.infer<typeof sqlParameterSchema>;

/** A typed field of the Data API's records, as it appears in the JSON body. */
type FieldJson =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number }
  | { stringValue: string }
  | { blobValue: string };

interface ExecuteStatementResponse {
  records?: FieldJson[][];
  columnMetadata?: ColumnMetadataJson[];
  numberOfRecordsUpdated: number;
  generatedFields?: FieldJson[];
}

class LocalDataApiService {
  readonly faults = new DataApiFaults();
  readonly calls: DataApiCall[] = [];
  readonly #pool: Pool;
  readonly #database: string;
  /** The value of MariaDB's `timestamp` session variable for each statement: seconds, or DEFAULT. */
  #timestamp = 'DEFAULT';

  constructor(pool: Pool, database: string) {
    this.#pool = pool;
    this.#database = database;
  }

  async setDatabaseTime(iso: string | null): Promise<void> {
    const timestamp = iso === null ? 'DEFAULT' : toUnixSecondsText(iso);
    // MariaDB rejects a timestamp out of its range; trying it here reports that to the caller.
    await this.#pool.query(`SET timestamp = ${timestamp}`);
    this.#timestamp = timestamp;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let input: ExecuteStatementRequest | undefined;
    try {
      if (request.method !== 'POST' || request.url !== '/Execute') {
        throw new DataApiErrorResponse('UnknownOperationException', `${request.method} ${request.url} is not served; this local endpoint serves only ExecuteStatement (POST /Execute)`);
      }
      if (!request.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) {
        throw new DataApiErrorResponse('MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      input = parseExecuteStatementRequest(await readBody(request));
      this.#checkTarget(input);

      const plan = this.faults.planFor(input.sql);
      if (plan.delayMilliseconds > 0) {
        await sleep(plan.delayMilliseconds);
      }
      if (plan.error !== null) {
        throw new DataApiErrorResponse(plan.error.name, plan.error.message);
      }

      const output = await this.#executeStatement(input);
      if (plan.dropAfterCommit) {
        this.calls.push({ sql: input.sql, outcome: 'dropped', errorName: null });
        request.socket.destroy();
        return;
      }
      this.calls.push({ sql: input.sql, outcome: 'succeeded', errorName: null });
      sendJson(response, 200, requestId, output);
    } catch (error) {
      const errorResponse = error instanceof DataApiErrorResponse
        ? error
        : new DataApiErrorResponse('InternalServerErrorException', `The local Data API failed: ${(error as Error).message}`);
      if (input !== undefined) {
        this.calls.push({ sql: input.sql, outcome: 'failed', errorName: errorResponse.errorName });
      }
      response.setHeader('x-amzn-errortype', errorResponse.errorName);
      sendJson(response, errorResponse.httpStatus, requestId, { message: errorResponse.message });
    }
  }

  #checkTarget(input: ExecuteStatementRequest): void {
    if (input.resourceArn !== LOCAL_CLUSTER_ARN) {
      throw new DataApiErrorResponse('BadRequestException', `Invalid cluster ARN ${input.resourceArn}; this endpoint serves ${LOCAL_CLUSTER_ARN}`);
    }
    if (input.secretArn !== LOCAL_SECRET_ARN) {
      throw new DataApiErrorResponse('BadRequestException', `Error fetching secret ${input.secretArn}: Secrets Manager can't find the specified secret`);
    }
    if (input.database !== undefined && input.database !== this.#database) {
      throw new DataApiErrorResponse('DatabaseNotFoundException', `Unknown database '${input.database}'; this endpoint serves database '${this.#database}'`);
    }
    if (input.transactionId !== undefined) {
      throw new DataApiErrorResponse('BadRequestException', 'Transactions are not served by this local endpoint');
    }
    if (input.formatRecordsAs === 'JSON') {
      throw new DataApiErrorResponse('BadRequestException', 'formatRecordsAs JSON is not served by this local endpoint');
    }
  }

  async #executeStatement(input: ExecuteStatementRequest): Promise<ExecuteStatementResponse> {
    const sql = bindNamedParameters(input.sql, input.parameters ?? []);

    let connection: PoolConnection;
    try {
      connection = await this.#pool.getConnection();
    } catch (error) {
      throw new DataApiErrorResponse('DatabaseUnavailableException', `Communications link failure: ${(error as Error).message}`);
    }
    try {
      // Pooled sessions are reused across calls, so each call sets the clock of the session it borrows.
      await connection.query(`SET timestamp = ${this.#timestamp}`);
      const [result, fields] = await connection.query({ sql, rowsAsArray: true });
      return toExecuteStatementResponse(result, fields, input.includeResultMetadata === true);
    } catch (error) {
      throw toDatabaseErrorResponse(error);
    } finally {
      connection.release();
    }
  }
}

function parseExecuteStatementRequest(body: string): ExecuteStatementRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new DataApiErrorResponse('BadRequestException', 'The request body is not valid JSON');
  }
  const parsed = executeStatementRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataApiErrorResponse('BadRequestException', `Invalid request at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      throw new DataApiErrorResponse('BadRequestException', `The request body is over ${MAX_REQUEST_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, requestId: string, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  response.end(text);
}

// --- Named parameters ----------------------------------------------------------------------

/**
 * Replaces every `:name` outside quotes, backticks and comments with the escaped literal of its
 * parameter, as a JDBC driver that emulates prepared statements does. A name without a value is
 * rejected, and the same name may appear more than once.
 */
export function bindNamedParameters(sql: string, parameters: readonly SqlParameterInput[]): string {
  const literals = new Map(parameters.map((parameter) => [parameter.name, toSqlLiteral(parameter)]));
  let output = '';
  let index = 0;
  while (index < sql.length) {
    const skipped = skipQuotedOrComment(sql, index);
    if (skipped > index) {
      output += sql.slice(index, skipped);
      index = skipped;
      continue;
    }
    const name = /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(sql.slice(index))?.[1];
    const previous = sql[index - 1] ?? '';
    if (name !== undefined && previous !== ':' && !/[A-Za-z0-9_]/.test(previous)) {
      const literal = literals.get(name);
      if (literal === undefined) {
        throw new DataApiErrorResponse('BadRequestException', `No value specified for parameter: ${name}`);
      }
      output += literal;
      index += name.length + 1;
      continue;
    }
    output += sql[index];
    index += 1;
  }
  return output;
}

/** Returns the index after the quoted text or comment that starts at `start`, or `start` if none does. */
function skipQuotedOrComment(sql: string, start: number): number {
  const character = sql[start];
  if (character === "'" || character === '"' || character === '`') {
    let index = start + 1;
    while (index < sql.length) {
      if (sql[index] === '\\' && character !== '`') {
        index += 2;
      } else if (sql[index] === character) {
        // A doubled quote is an escaped quote inside the text.
        if (sql[index + 1] !== character) {
          return index + 1;
        }
        index += 2;
      } else {
        index += 1;
      }
    }
    return sql.length;
  }
  if (sql.startsWith('/*', start)) {
    const end = sql.indexOf('*/', start + 2);
    return end === -1 ? sql.length : end + 2;
  }
  if (character === '#' || sql.startsWith('-- ', start)) {
    const end = sql.indexOf('\n', start);
    return end === -1 ? sql.length : end + 1;
  }
  return start;
}

const TIMESTAMP_HINT_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;

function toSqlLiteral(parameter: SqlParameterInput): string {
  const { value, typeHint, name } = parameter;
  if (value.isNull === true) {
    return 'NULL';
  }
  if (value.stringValue !== undefined) {
    if (typeHint === 'TIMESTAMP' && !TIMESTAMP_HINT_TEXT.test(value.stringValue)) {
      throw new DataApiErrorResponse('BadRequestException', `Parameter ${name} has typeHint TIMESTAMP, but its value is not in the format YYYY-MM-DD HH:MM:SS[.FFF]`);
    }
    return mysql.escape(value.stringValue);
  }
  if (value.longValue !== undefined) {
    return mysql.escape(value.longValue);
  }
  if (value.doubleValue !== undefined) {
    return mysql.escape(value.doubleValue);
  }
  if (value.booleanValue !== undefined) {
    return value.booleanValue ? 'TRUE' : 'FALSE';
  }
  if (value.blobValue !== undefined) {
    return mysql.escape(Buffer.from(value.blobValue, 'base64'));
  }
  throw new DataApiErrorResponse('BadRequestException', `Parameter ${name}: array parameters are not supported for MySQL`);
}

// --- Results --------------------------------------------------------------------------------

/** MySQL protocol column types (the `columnType` of mysql2's FieldPacket). */
const MYSQL_TYPE = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  NULL: 0x06,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const;

/** MySQL column flags used in the column metadata. */
const FLAG = { NOT_NULL: 1, UNSIGNED: 32, BINARY: 128, AUTO_INCREMENT: 512 } as const;

/** The character set number of binary strings: such columns come back as blobValue. */
const BINARY_CHARACTER_SET = 63;

/** java.sql.Types codes, which the Data API reports as a column's `type`. */
const JDBC_TYPE = {
  BIT: -7,
  TINYINT: -6,
  SMALLINT: 5,
  INTEGER: 4,
  BIGINT: -5,
  REAL: 7,
  DOUBLE: 8,
  DECIMAL: 3,
  CHAR: 1,
  VARCHAR: 12,
  LONGVARCHAR: -1,
  BINARY: -2,
  VARBINARY: -3,
  LONGVARBINARY: -4,
  DATE: 91,
  TIME: 92,
  TIMESTAMP: 93,
  NULL: 0,
} as const;

interface ColumnMetadataJson {
  name: string;
  label: string;
  type: number;
  typeName: string;
  schemaName: string;
  tableName: string;
  isAutoIncrement: boolean;
  isSigned: boolean;
  isCurrency: boolean;
  isCaseSensitive: boolean;
  nullable: number;
  precision: number;
  scale: number;
  arrayBaseColumnType: number;
}

type ValueKind = 'long' | 'double' | 'decimal' | 'datetime' | 'text' | 'bit' | 'null';

interface ColumnType {
  readonly kind: ValueKind;
  readonly jdbcType: number;
  readonly typeName: string;
}

const INTEGER_TYPES: Readonly<Record<number, readonly [number, string]>> = {
  [MYSQL_TYPE.TINY]: [JDBC_TYPE.TINYINT, 'TINYINT'],
  [MYSQL_TYPE.SHORT]: [JDBC_TYPE.SMALLINT, 'SMALLINT'],
  [MYSQL_TYPE.INT24]: [JDBC_TYPE.INTEGER, 'MEDIUMINT'],
  [MYSQL_TYPE.LONG]: [JDBC_TYPE.INTEGER, 'INT'],
  [MYSQL_TYPE.LONGLONG]: [JDBC_TYPE.BIGINT, 'BIGINT'],
  [MYSQL_TYPE.YEAR]: [JDBC_TYPE.SMALLINT, 'YEAR'],
};

/** Maps a result column to the Data API's value field, JDBC type and type name. */
function columnTypeOf(field: FieldPacket): ColumnType {
  const columnType = field.columnType ?? field.type ?? MYSQL_TYPE.VAR_STRING;
  const flags = typeof field.flags === 'number' ? field.flags : 0;
  const unsigned = (flags & FLAG.UNSIGNED) !== 0 ? ' UNSIGNED' : '';
  const binary = field.characterSet === BINARY_CHARACTER_SET;

  const integer = INTEGER_TYPES[columnType];
  if (integer !== undefined) {
    return { kind: 'long', jdbcType: integer[0], typeName: `${integer[1]}${unsigned}` };
  }
  switch (columnType) {
    case MYSQL_TYPE.FLOAT:
      return { kind: 'double', jdbcType: JDBC_TYPE.REAL, typeName: 'FLOAT' };
    case MYSQL_TYPE.DOUBLE:
      return { kind: 'double', jdbcType: JDBC_TYPE.DOUBLE, typeName: 'DOUBLE' };
    case MYSQL_TYPE.DECIMAL:
    case MYSQL_TYPE.NEWDECIMAL:
      return { kind: 'decimal', jdbcType: JDBC_TYPE.DECIMAL, typeName: `DECIMAL${unsigned}` };
    case MYSQL_TYPE.DATETIME:
      return { kind: 'datetime', jdbcType: JDBC_TYPE.TIMESTAMP, typeName: 'DATETIME' };
    case MYSQL_TYPE.TIMESTAMP:
      return { kind: 'datetime', jdbcType: JDBC_TYPE.TIMESTAMP, typeName: 'TIMESTAMP' };
    case MYSQL_TYPE.DATE:
    case MYSQL_TYPE.NEWDATE:
      return { kind: 'text', jdbcType: JDBC_TYPE.DATE, typeName: 'DATE' };
    case MYSQL_TYPE.TIME:
      return { kind: 'text', jdbcType: JDBC_TYPE.TIME, typeName: 'TIME' };
    case MYSQL_TYPE.BIT:
      return { kind: 'bit', jdbcType: JDBC_TYPE.BIT, typeName: 'BIT' };
    case MYSQL_TYPE.NULL:
      return { kind: 'null', jdbcType: JDBC_TYPE.NULL, typeName: 'NULL' };
    case MYSQL_TYPE.STRING:
    case MYSQL_TYPE.ENUM:
    case MYSQL_TYPE.SET:
      return binary ? { kind: 'text', jdbcType: JDBC_TYPE.BINARY, typeName: 'BINARY' } : { kind: 'text', jdbcType: JDBC_TYPE.CHAR, typeName: 'CHAR' };
    case MYSQL_TYPE.VARCHAR:
    case MYSQL_TYPE.VAR_STRING:
      return binary ? { kind: 'text', jdbcType: JDBC_TYPE.VARBINARY, typeName: 'VARBINARY' } : { kind: 'text', jdbcType: JDBC_TYPE.VARCHAR, typeName: 'VARCHAR' };
    case MYSQL_TYPE.JSON:
      return { kind: 'text', jdbcType: JDBC_TYPE.LONGVARCHAR, typeName: 'JSON' };
    default:
      return binary ? { kind: 'text', jdbcType: JDBC_TYPE.LONGVARBINARY, typeName: 'BLOB' } : { kind: 'text', jdbcType: JDBC_TYPE.LONGVARCHAR, typeName: 'TEXT' };
  }
}

function toExecuteStatementResponse(result: unknown, fields: FieldPacket[] | undefined, includeResultMetadata: boolean): ExecuteStatementResponse {
  if (!Array.isArray(result)) {
    const header = result as ResultSetHeader;
    // NOTE: mysql2 connects with the FOUND_ROWS flag, so affectedRows counts matched rows. Whether
    // the service's numberOfRecordsUpdated counts matched or changed rows is not documented.
    return {
      numberOfRecordsUpdated: header.affectedRows,
      generatedFields: header.insertId > 0 ? [{ longValue: header.insertId }] : [],
    };
  }
  if (fields === undefined || fields.some((field) => Array.isArray(field))) {
    throw new DataApiErrorResponse('BadRequestException', 'Statements that return more than one result set are not supported');
  }

  const types = fields.map(columnTypeOf);
  const records = (result as unknown[][]).map((row) => row.map((value, index) => toFieldJson(value, types[index] as ColumnType)));
  return {
    records,
    ...(includeResultMetadata ? { columnMetadata: fields.map((field, index) => toColumnMetadata(field, types[index] as ColumnType)) } : {}),
    numberOfRecordsUpdated: 0,
  };
}

function toFieldJson(value: unknown, type: ColumnType): FieldJson {
  if (value === null || value === undefined) {
    return { isNull: true };
  }
  if (Buffer.isBuffer(value)) {
    // BIT(1) reads as a boolean; other bit strings and binary strings as base64 blobs.
    if (type.kind === 'bit' && value.length === 1) {
      return { booleanValue: value[0] !== 0 };
    }
    return { blobValue: value.toString('base64') };
  }
  switch (type.kind) {
    case 'long':
      // NOTE: a BIGINT UNSIGNED above 2^53 loses precision here, as it does in the SDK's JSON parsing.
      return { longValue: Number(toText(value)) };
    case 'double':
      return { doubleValue: Number(toText(value)) };
    case 'datetime':
      return { stringValue: dropTrailingFractionZeros(toText(value)) };
    default:
      return { stringValue: toText(value) };
  }
}

/** Text of a value that mysql2 returns as a string (dateStrings, jsonStrings, bigNumberStrings) or a number. */
function toText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Drops the trailing zeros of a DATETIME fraction, and the dot when nothing is left, so that
 * `2024-05-01 10:30:00.320000` reads `2024-05-01 10:30:00.32` as the Data API returns it.
 * NOTE: a zero fraction becomes no fraction here; whether the service sends `.0` in that case is
 * unverified, and the lease layer parses both.
 */
function dropTrailingFractionZeros(text: string): string {
  if (!text.includes('.')) {
    return text;
  }
  const trimmed = text.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

function toColumnMetadata(field: FieldPacket, type: ColumnType): ColumnMetadataJson {
  const flags = typeof field.flags === 'number' ? field.flags : 0;
  const numeric = type.kind === 'long' || type.kind === 'double' || type.kind === 'decimal';
  return {
    name: field.orgName || field.name,
    label: field.name,
    type: type.jdbcType,
    typeName: type.typeName,
    schemaName: '',
    tableName: field.orgTable ?? '',
    isAutoIncrement: (flags & FLAG.AUTO_INCREMENT) !== 0,
    isSigned: numeric && (flags & FLAG.UNSIGNED) === 0,
    isCurrency: false,
    isCaseSensitive: type.kind === 'text' && (flags & FLAG.BINARY) !== 0,
    nullable: (flags & FLAG.NOT_NULL) !== 0 ? 0 : 1,
    precision: field.columnLength ?? 0,
    scale: field.decimals,
    arrayBaseColumnType: 0,
  };
}

/** Turns a MariaDB error into the error response that the Data API returns for it. */
function toDatabaseErrorResponse(error: unknown): DataApiErrorResponse {
  if (error instanceof DataApiErrorResponse) {
    return error;
  }
  const { errno, code, sqlMessage, message } = error as { errno?: number; code?: string; sqlMessage?: string; message?: string };
  if (errno === 1049) {
    return new DataApiErrorResponse('DatabaseNotFoundException', sqlMessage ?? 'Unknown database');
  }
  if (errno === undefined || code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNREFUSED' || code === 'ECONNRESET') {
    return new DataApiErrorResponse('DatabaseUnavailableException', `Communications link failure: ${message ?? String(error)}`);
  }
  return new DataApiErrorResponse('BadRequestException', `Database error code: ${errno}. Message: ${sqlMessage ?? message ?? ''}`);
}

// --- Database time --------------------------------------------------------------------------

const ISO_UTC_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

/**
 * Converts `2024-05-01T10:30:00.123456Z` to `1714559400.123456`, the text of MariaDB's
 * `timestamp` session variable, exactly to the microsecond.
 */
export function toUnixSecondsText(iso: string): string {
  const match = ISO_UTC_INSTANT.exec(iso);
  if (match === null) {
    throw new RangeError(`Database time "${iso}" is not an ISO 8601 UTC instant such as 2024-05-01T10:30:00.123456Z`);
  }
  const [, year, month, day, hour, minute, second, fraction = ''] = match as unknown as string[];
  const epochMilliseconds = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (epochMilliseconds < 1000 || new Date(epochMilliseconds).toISOString().slice(0, 19) !== iso.slice(0, 19)) {
    throw new RangeError(`Database time "${iso}" is not a valid calendar time after 1970-01-01T00:00:01Z`);
  }
  return `${epochMilliseconds / 1000}.${fraction.padEnd(6, '0')}`;
}
