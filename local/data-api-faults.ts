/**
 * Fault injection for the local Data API endpoint: the exceptions the RDS Data API returns, slow
 * responses, a database that stays down, and responses lost after the statement committed.
 */

/**
 * Data API exceptions with the HTTP status that the service returns for each, as modelled in
 * @aws-sdk/client-rds-data 3.1143 (the `httpError` trait of each error shape), and a default
 * message. The SDK picks the exception class from the `x-amzn-errortype` header.
 */
export const DATA_API_ERRORS = {
  AccessDeniedException: { httpStatus: 403, message: 'User is not authorized to perform rds-data:ExecuteStatement on the cluster' },
  BadRequestException: { httpStatus: 400, message: 'The request is invalid' },
  DatabaseErrorException: { httpStatus: 400, message: 'The database returned an error' },
  DatabaseNotFoundException: { httpStatus: 404, message: 'The database does not exist on the cluster' },
  DatabaseResumingException: { httpStatus: 400, message: 'The Aurora DB instance is resuming after being auto-paused. Please wait a few seconds and try again.' },
  DatabaseUnavailableException: { httpStatus: 504, message: 'The database is not available' },
  ForbiddenException: { httpStatus: 403, message: 'HttpEndpoint is not enabled for the cluster, or access is denied' },
  HttpEndpointNotEnabledException: { httpStatus: 400, message: 'HTTP endpoint is not enabled for the cluster' },
  InternalServerErrorException: { httpStatus: 500, message: 'An internal error occurred' },
  InvalidResourceStateException: { httpStatus: 400, message: 'The cluster is not in a state to accept requests' },
  InvalidSecretException: { httpStatus: 400, message: 'The secret does not contain a username and password' },
  NotFoundException: { httpStatus: 404, message: 'The resource does not exist' },
  SecretsErrorException: { httpStatus: 400, message: 'Error fetching the secret from AWS Secrets Manager' },
  ServiceUnavailableError: { httpStatus: 503, message: 'The service is unavailable' },
  StatementTimeoutException: { httpStatus: 400, message: 'The statement timed out after 45 seconds' },
} as const;

export type DataApiErrorName = keyof typeof DATA_API_ERRORS;

/** The endpoint's handling of one ExecuteStatement call. */
export interface FaultPlan {
  /** Wait before the statement runs, in milliseconds. */
  readonly delayMilliseconds: number;
  /** An error response sent instead of running the statement. */
  readonly error: { readonly name: DataApiErrorName; readonly message: string } | null;
  /** Whether to run the statement, then destroy the connection without a response. */
  readonly dropAfterCommit: boolean;
}

export interface FaultMatch {
  /** How many matching calls the fault applies to. Default 1. */
  readonly count?: number;
  /** Apply only to statements that start with this text, ignoring case and leading blanks. */
  readonly sqlPrefix?: string;
  /** Apply only to statements that this expression matches. With sqlPrefix, both must match. */
  readonly sqlPattern?: RegExp;
}

interface CountedFault<T> {
  readonly value: T;
  readonly matches: (sql: string) => boolean;
  remaining: number;
}

/** Faults to inject, consumed call by call in the order they were added. */
export class DataApiFaults {
  #errors: CountedFault<{ name: DataApiErrorName; message: string }>[] = [];
  #delays: CountedFault<number>[] = [];
  #drops: CountedFault<true>[] = [];
  #down: { name: DataApiErrorName; message: string } | null = null;

  /** Fails the next matching calls with `errorName`, without running their statements. */
  failNext(errorName: DataApiErrorName, match: FaultMatch & { readonly message?: string } = {}): void {
    this.#errors.push(counted({ name: errorName, message: match.message ?? DATA_API_ERRORS[errorName].message }, match));
  }

  /** Delays the next matching calls by `milliseconds` before their statements run. */
  delayNext(milliseconds: number, match: FaultMatch = {}): void {
    if (!Number.isFinite(milliseconds) || milliseconds < 0) {
      throw new RangeError(`A delay must be 0 or more milliseconds, got ${milliseconds}`);
    }
    this.#delays.push(counted(milliseconds, match));
  }

  /** Fails every call with `errorName` until clear() is called, like a database that stays down. */
  failUntilCleared(errorName: DataApiErrorName = 'DatabaseResumingException', message?: string): void {
    this.#down = { name: errorName, message: message ?? DATA_API_ERRORS[errorName].message };
  }

  /**
   * Runs the next matching statements, then drops each connection so the response is lost. A
   * statement that fails gets its error response, and still uses up one of the `count`.
   */
  dropAfterCommit(match: FaultMatch = {}): void {
    this.#drops.push(counted(true as const, match));
  }

  /** Removes every fault, including failUntilCleared. */
  clear(): void {
    this.#errors = [];
    this.#delays = [];
    this.#drops = [];
    this.#down = null;
  }

  /** Decides what happens to a call with this SQL, and consumes the faults it uses. */
  planFor(sql: string): FaultPlan {
    const delayMilliseconds = take(this.#delays, sql) ?? 0;
    const error = this.#down ?? take(this.#errors, sql) ?? null;
    const dropAfterCommit = error === null && take(this.#drops, sql) === true;
    return { delayMilliseconds, error, dropAfterCommit };
  }
}

function counted<T>(value: T, match: FaultMatch): CountedFault<T> {
  const count = match.count ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`A fault count must be a positive whole number, got ${count}`);
  }
  const prefix = match.sqlPrefix?.trim().toUpperCase();
  const pattern = match.sqlPattern;
  const matches = (sql: string) =>
    (prefix === undefined || sql.trimStart().toUpperCase().startsWith(prefix)) && (pattern === undefined || pattern.test(sql));
  return { value, matches, remaining: count };
}

/** Uses one application of the first fault that matches `sql`, and drops faults used up. */
function take<T>(faults: CountedFault<T>[], sql: string): T | undefined {
  const index = faults.findIndex((fault) => fault.matches(sql));
  const fault = faults[index];
  if (fault === undefined) {
    return undefined;
  }
  fault.remaining -= 1;
  if (fault.remaining === 0) {
    faults.splice(index, 1);
  }
  return fault.value;
}
