import type { Command } from 'commander';
import bundledJobs from '../../config/jobs.json' with { type: 'json' };
import { ENVIRONMENT_VARIABLES, parseJobs } from '../../functions/shared/config.ts';
import { ConfigurationError } from '../../functions/shared/errors.ts';
import { validateLockName } from '../../functions/shared/lease/lease-store.ts';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { formatInstant, formatSeconds, formatTable, shortArn } from '../format.ts';
import { readLockStatuses, type LockStatus } from '../lease-admin.ts';
import { addLockStoreOptions, describeLockStoreError, openLockStore, type LockStoreOptions, type OpenExecutor } from '../lock-store.ts';
import { reserveStdoutForResult, writeResult } from '../output.ts';

type Environment = Readonly<Record<string, string | undefined>>;

export interface StatusOptions extends LockStoreOptions {
  readonly json?: boolean;
}

export interface StatusResult {
  /** Location of the lock table, without passwords. */
  readonly lockStore: string;
  readonly locks: readonly LockStatus[];
}

export interface StatusDependencies {
  readonly environment?: Environment;
  readonly openExecutor?: OpenExecutor;
}

/** Adds `cronlock status [job]`. */
export function registerStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .argument('[job]', 'the job to show; default: every configured job and every row of the lock table')
    .description('show who holds each lock, its fencing token, lease end and time left, in database time')
    .option('--json', 'print the result as JSON');
  addLockStoreOptions(command).action(async (job: string | undefined, options: StatusOptions) => {
    reserveStdoutForResult();
    const result = await readStatus(job, options);
    writeResult(options.json ? JSON.stringify(result, null, 2) : renderStatus(result));
    process.exitCode = EXIT_CODES.success;
  });
}

/** Reads the lock status of one job or of all. */
export async function readStatus(job: string | undefined, options: StatusOptions, dependencies: StatusDependencies = {}): Promise<StatusResult> {
  const environment = dependencies.environment ?? process.env;
  if (job !== undefined) {
    validateJobArgument(job);
  }
  const configuredJobs = readConfiguredJobNames(environment);
  const store = openLockStore(options, environment, dependencies.openExecutor);
  try {
    const locks = await readLockStatuses(store.executor, store.table, configuredJobs, job);
    return { lockStore: store.location, locks };
  } catch (error) {
    throw describeLockStoreError(error, store.location);
  } finally {
    await store.executor.close();
  }
}

/** Returns the names of the configured jobs: from CRONLOCK_JOBS when set, as in Lambda, else from config/jobs.json. */
export function readConfiguredJobNames(environment: Environment): string[] {
  const text = environment[ENVIRONMENT_VARIABLES.jobs];
  try {
    if (text === undefined) {
      return Object.keys(parseJobs(bundledJobs, 'config/jobs.json'));
    }
    return Object.keys(parseJobs(JSON.parse(text) as unknown, ENVIRONMENT_VARIABLES.jobs));
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new CliError(error.message);
    }
    throw new CliError(`${ENVIRONMENT_VARIABLES.jobs} is not valid JSON: ${(error as Error).message}; unset it to use config/jobs.json`);
  }
}

export function validateJobArgument(job: string): void {
  try {
    validateLockName(job);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** The state column, with what it means for the next execution. */
const STATE_TEXT: Readonly<Record<LockStatus['state'], string>> = {
  held: 'held',
  'min-hold': 'released, in minimum hold',
  expired: 'expired without release',
  free: 'free',
  'no-row': 'no row yet',
};

/** Returns the holder's execution name, or for an expired lease its last owner in brackets. */
function holderColumn(lock: LockStatus): string {
  if (lock.holder !== null) {
    return shortArn(lock.holder);
  }
  return lock.state === 'expired' ? `(${shortArn(lock.owner)})` : '-';
}

/** Renders the status as a table; holders are shown by execution name, the JSON has full ARNs. */
export function renderStatus(result: StatusResult): string {
  const rows = result.locks.map((lock) => [
    lock.job + (lock.configured ? '' : ' (not configured)'),
    STATE_TEXT[lock.state],
    holderColumn(lock),
    lock.fencingToken === null ? '-' : String(lock.fencingToken),
    formatInstant(lock.lockUntil),
    lock.state === 'held' || lock.state === 'min-hold' ? formatSeconds(lock.timeLeftSeconds) : '-',
    formatInstant(lock.releasedAt),
  ]);
  const table = formatTable(['JOB', 'STATE', 'HOLDER', 'TOKEN', 'LEASE END', 'LEFT', 'LAST RELEASE'], rows);
  const databaseTime = result.locks.find((lock) => lock.databaseTime !== null)?.databaseTime ?? null;
  const footer = databaseTime === null ? '' : `\nDatabase time: ${formatInstant(databaseTime)} (${result.lockStore})`;
  return `${table}${footer}`;
}
