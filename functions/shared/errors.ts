/**
 * The error family of cronlock. Every error sets `name`, because the state machine's Retry and
 * Catch blocks match on the name that a Lambda function's error carries, and keeps `cause`.
 * A busy lock is not an error: AcquireLock returns it as a normal result.
 */
export class CronlockError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CronlockError';
  }
}

/** Execution input that fails validation. Thrown before anything is written or started. */
export class InvalidInputError extends CronlockError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`Invalid input at "${field}": ${message}`);
    this.name = 'InvalidInput';
    this.field = field;
  }
}

/** A deploy-time or environment setting that is missing or invalid. Not retried. */
export class ConfigurationError extends CronlockError {
  readonly setting: string;

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`Invalid setting ${setting}: ${message}`, options);
    this.name = 'ConfigurationError';
    this.setting = setting;
  }
}

/**
 * Error names for lock store faults that go away by themselves. The first five are the RDS Data
 * API's own exception names, so the execution history shows the real fault on every retry.
 * `LockStoreConnectionError` covers a direct MySQL connection that failed or was lost.
 */
export const TRANSIENT_LOCK_STORE_ERROR_NAMES = [
  'DatabaseResumingException',
  'ServiceUnavailableError',
  'DatabaseUnavailableException',
  'InternalServerErrorException',
  'StatementTimeoutException',
  'LockStoreConnectionError',
] as const;

export type TransientLockStoreErrorName = (typeof TRANSIENT_LOCK_STORE_ERROR_NAMES)[number];

/** A lock store fault worth retrying. Its `name` is one of TRANSIENT_LOCK_STORE_ERROR_NAMES. */
export class LockStoreUnavailableError extends CronlockError {
  constructor(name: TransientLockStoreErrorName, message: string, options?: { cause?: unknown }) {
    super(`Lock store unavailable (${name}): ${message}`, options);
    this.name = name;
  }
}

/** A lock store fault that a retry does not fix, such as an SQL error or missing privilege. */
export class LockStoreError extends CronlockError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LockStoreError';
  }
}

/** Returns the message of any thrown value, for logs and outputs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
