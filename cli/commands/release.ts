import { hostname, userInfo } from 'node:os';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Command } from 'commander';
import { ENVIRONMENT_VARIABLES } from '../../functions/shared/config.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { resolveRegion } from '../aws.ts';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { formatInstant, formatSeconds } from '../format.ts';
import { readLockStatuses, releaseAsOperator, type LockStatus, type OperatorReleaseStatus } from '../lease-admin.ts';
import { addLockStoreOptions, describeLockStoreError, openLockStore, type LockStoreOptions, type OpenExecutor } from '../lock-store.ts';
import { reserveStdoutForResult, writeResult } from '../output.ts';
import { listRunningTasks, startedByFor, type RunningTask } from '../running-tasks.ts';
import { readConfiguredJobNames, validateJobArgument } from './status.ts';

type Environment = Readonly<Record<string, string | undefined>>;

export interface ReleaseOptions extends LockStoreOptions {
  readonly force?: boolean;
  readonly cluster?: string;
  readonly region?: string;
  readonly json?: boolean;
}

/** `refused`: a task of the job still runs, so nothing was changed. */
export type ReleaseCommandStatus = OperatorReleaseStatus | 'refused';

export interface Operator {
  readonly user: string;
  readonly host: string;
}

export interface ReleaseCommandResult {
  readonly job: string;
  readonly status: ReleaseCommandStatus;
  /** Reason that nothing was released, for `refused` and `changed`; null otherwise. */
  readonly reason: string | null;
  readonly forced: boolean;
  readonly releasedBy: Operator;
  /** The cluster searched for running tasks; null with --force. */
  readonly cluster: string | null;
  readonly runningTasks: readonly RunningTask[];
  /** The lease as read before the release. */
  readonly previous: LockStatus;
  /** The lease as read after the release. */
  readonly current: LockStatus;
  readonly lockStore: string;
}

export interface ReleaseDependencies {
  readonly environment?: Environment;
  readonly openExecutor?: OpenExecutor;
  readonly createEcsClient?: (region: string | null) => ECSClient;
  readonly operator?: () => Operator;
  readonly logger?: Logger;
}

/** Adds `cronlock release <job>`. */
export function registerReleaseCommand(program: Command): void {
  const command = program
    .command('release')
    .argument('<job>', 'the job whose lock to free')
    .description('free a stuck lock; refuses while a task of the job still runs in the cluster, unless --force')
    .option('--cluster <name>', `ECS cluster to check for a running task of the job (default: ${ENVIRONMENT_VARIABLES.cluster})`)
    .option('--region <region>', 'AWS region of the cluster (default: AWS_REGION or the AWS profile)')
    .option('--force', 'release without checking for a running task; a task that still runs may then overlap the next one')
    .option('--json', 'print the result as JSON');
  addLockStoreOptions(command).action(async (job: string, options: ReleaseOptions) => {
    reserveStdoutForResult();
    const { result, exitCode } = await releaseLock(job, options);
    writeResult(options.json ? JSON.stringify(result, null, 2) : renderRelease(result));
    process.exitCode = exitCode;
  });
}

/**
 * Frees the job's lease unless a task of the job still runs. The fencing token is kept, and the
 * release matches the owner and token just read, so a concurrent acquire is never undone.
 * Exit code: success when released or already free, lockBusy when refused or changed meanwhile.
 */
export async function releaseLock(
  job: string,
  options: ReleaseOptions,
  dependencies: ReleaseDependencies = {},
): Promise<{ result: ReleaseCommandResult; exitCode: number }> {
  validateJobArgument(job);
  const environment = dependencies.environment ?? process.env;
  const operator = (dependencies.operator ?? currentOperator)();
  const logger = dependencies.logger ?? createLogger('INFO');
  const forced = options.force === true;
  const cluster = options.cluster?.trim() || environment[ENVIRONMENT_VARIABLES.cluster]?.trim() || null;
  if (!forced && cluster === null) {
    throw new CliError(
      `Cannot check whether a task of job "${job}" still runs, because no ECS cluster is set. Pass --cluster (the cluster the workflow runs its tasks in, also read from ${ENVIRONMENT_VARIABLES.cluster}), or pass --force once you have checked that no task of the job runs.`,
    );
  }

  const configuredJobs = readConfiguredJobNames(environment);
  const store = openLockStore(options, environment, dependencies.openExecutor);
  try {
    const [previous] = await readLockStatuses(store.executor, store.table, configuredJobs, job);
    if (previous === undefined || previous.state === 'no-row') {
      throw new CliError(`Job "${job}" has no row in ${store.location}, so there is no lock to release; run "cronlock status" to list the locks.`);
    }
    const base = { job, forced, releasedBy: operator, previous, lockStore: store.location };
    if (previous.state !== 'held' && previous.state !== 'min-hold') {
      const result: ReleaseCommandResult = { ...base, status: 'already-free', reason: null, cluster: null, runningTasks: [], current: previous };
      return { result, exitCode: EXIT_CODES.success };
    }

    let runningTasks: RunningTask[] = [];
    if (!forced && cluster !== null) {
      const ecs = (dependencies.createEcsClient ?? defaultEcsClient)(resolveRegion(options.region, cluster, environment));
      runningTasks = await listRunningTasks(ecs, cluster, job);
      if (runningTasks.length > 0) {
        const reason = describeRunningTasks(job, cluster, runningTasks);
        const result: ReleaseCommandResult = { ...base, status: 'refused', reason, cluster, runningTasks, current: previous };
        return { result, exitCode: EXIT_CODES.lockBusy };
      }
    }

    const release = await releaseAsOperator(store.executor, store.table, previous);
    const reason = release.status === 'changed'
      ? `Lock "${job}" changed after it was read: the row now names ${release.after.owner ?? 'nobody'} with fencing token ${release.after.fencingToken ?? '-'} (${release.after.state}), so nothing was changed. Run "cronlock status ${job}" and decide again.`
      : null;
    const result: ReleaseCommandResult = {
      ...base,
      status: release.status,
      reason,
      cluster: forced ? null : cluster,
      runningTasks,
      current: release.after,
    };
    logRelease(logger, result);
    return { result, exitCode: release.status === 'changed' ? EXIT_CODES.lockBusy : EXIT_CODES.success };
  } catch (error) {
    throw describeLockStoreError(error, store.location);
  } finally {
    await store.executor.close();
  }
}

function describeRunningTasks(job: string, cluster: string, tasks: readonly RunningTask[]): string {
  const listed = tasks.map((task) => `${task.taskArn} (${task.lastStatus ?? 'unknown status'})`).join(', ');
  return `A task of job "${job}" (startedBy ${startedByFor(job)}) has not stopped in cluster ${cluster}: ${listed}. Stop it with "aws ecs stop-task --cluster ${cluster} --task <task ARN>" and wait until it has stopped, then run release again; --force releases anyway.`;
}

/** Logs who released which lease, as one JSON line on stderr. */
function logRelease(logger: Logger, result: ReleaseCommandResult): void {
  logger.info(result.status === 'released' ? 'Lock released by an operator' : 'Lock not released', {
    job: result.job,
    status: result.status,
    forced: result.forced,
    operatorUser: result.releasedBy.user,
    operatorHost: result.releasedBy.host,
    previousOwner: result.previous.owner,
    fencingToken: result.previous.fencingToken,
    previousLeaseUntil: result.previous.lockUntil,
    leaseUntil: result.current.lockUntil,
    cluster: result.cluster,
  });
}

function currentOperator(): Operator {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for the uid, as in some containers.
    user = process.env['USER'] ?? process.env['LOGNAME'] ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { user, host: hostname() };
}

function defaultEcsClient(region: string | null): ECSClient {
  return new ECSClient(region === null ? {} : { region });
}

export function renderRelease(result: ReleaseCommandResult): string {
  const previous = result.previous;
  const lease = `held by ${previous.owner ?? 'nobody'} with fencing token ${previous.fencingToken ?? '-'} until ${formatInstant(previous.lockUntil)}`;
  switch (result.status) {
    case 'released':
      return [
        `Released lock "${result.job}": it was ${lease} (${formatSeconds(previous.timeLeftSeconds)} left).`,
        `It is free since ${formatInstant(result.current.lockUntil)} database time; the fencing token stays ${result.current.fencingToken ?? '-'}.`,
        `Released by ${result.releasedBy.user} on ${result.releasedBy.host}${result.forced ? ' with --force, without checking for a running task' : ` after checking cluster ${result.cluster ?? '-'}`}.`,
      ].join('\n');
    case 'already-free':
      return previous.state === 'expired'
        ? `Lock "${result.job}" is free already: the lease of ${previous.owner ?? 'nobody'} (fencing token ${previous.fencingToken ?? '-'}) expired at ${formatInstant(previous.lockUntil)} without a release. Nothing was changed.`
        : `Lock "${result.job}" is free already. Nothing was changed.`;
    case 'refused':
    case 'changed':
      return `Not released: ${result.reason ?? ''}`;
  }
}
