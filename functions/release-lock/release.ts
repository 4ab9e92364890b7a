import type { Logger } from '@aws-lambda-powertools/logger';
import { TRANSIENT_LOCK_STORE_ERROR_NAMES } from '../shared/errors.ts';
import type { LeaseStore, ReleaseResult } from '../shared/lease/lease-store.ts';
import { emptySummary } from '../shared/summary.ts';
import type { CaughtError, LeaseState, SettingsState, Summary } from '../shared/workflow-state.ts';
import { classifyTaskOutcome, type TaskOutcome } from './task-outcome.ts';

/**
 * Optional settings for linking the summary to the job container's CloudWatch Logs stream. They
 * describe the task definition's awslogs driver: `awslogs-group` and `awslogs-stream-prefix`.
 */
export const TASK_LOG_VARIABLES = {
  logGroup: 'CRONLOCK_ECS_LOG_GROUP',
  streamPrefix: 'CRONLOCK_ECS_LOG_STREAM_PREFIX',
  /** Set by Lambda; the console link opens in this region. */
  region: 'AWS_REGION',
} as const;

export interface TaskLogSettings {
  readonly logGroup: string;
  readonly streamPrefix: string;
  /** The region of the console link; null to take it from the task ARN. */
  readonly region: string | null;
}

/** The task log settings, or why they cannot be used. Both are null when linking is not configured. */
export interface TaskLogSettingsReading {
  readonly settings: TaskLogSettings | null;
  readonly problem: string | null;
}

/** CloudWatch Logs group names: 1 to 512 of these characters. */
const LOG_GROUP_PATTERN = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/** Log stream names may not contain ":" or "*". */
const STREAM_PREFIX_PATTERN = /^[^:*]{1,400}$/;

/**
 * Reads the task log settings. A missing or invalid setting never fails the release: the caller
 * logs `problem` and the summary carries no link.
 */
export function readTaskLogSettings(environment: Readonly<Record<string, string | undefined>> = process.env): TaskLogSettingsReading {
  const logGroup = environment[TASK_LOG_VARIABLES.logGroup]?.trim() ?? '';
  const streamPrefix = environment[TASK_LOG_VARIABLES.streamPrefix]?.trim() ?? '';
  const region = environment[TASK_LOG_VARIABLES.region]?.trim() || null;
  if (logGroup === '' && streamPrefix === '') {
    return { settings: null, problem: null };
  }
  if (logGroup === '' || streamPrefix === '') {
    const missing = logGroup === '' ? TASK_LOG_VARIABLES.logGroup : TASK_LOG_VARIABLES.streamPrefix;
    return {
      settings: null,
      problem: `${missing} is not set, so the summary has no log link; set both ${TASK_LOG_VARIABLES.logGroup} and ${TASK_LOG_VARIABLES.streamPrefix} to the awslogs-group and awslogs-stream-prefix of the task definition`,
    };
  }
  if (!LOG_GROUP_PATTERN.test(logGroup)) {
    return { settings: null, problem: `${TASK_LOG_VARIABLES.logGroup} "${logGroup}" is not a valid log group name (letters, digits and . - _ / #)` };
  }
  if (!STREAM_PREFIX_PATTERN.test(streamPrefix)) {
    return { settings: null, problem: `${TASK_LOG_VARIABLES.streamPrefix} "${streamPrefix}" is not a valid log stream prefix (no ":" or "*")` };
  }
  return { settings: Object.freeze({ logGroup, streamPrefix, region }), problem: null };
}

export interface TaskLogLocation {
  readonly logGroup: string;
  readonly logStream: string;
  readonly logUrl: string;
}

/** Console host names by ARN partition. */
const CONSOLE_HOSTS: Readonly<Record<string, string>> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** An ECS task ARN: partition, region, and the task ID as the last path segment. */
const TASK_ARN_PATTERN = /^arn:(aws[-a-z]*):ecs:([a-z0-9-]+):\d{12}:task\/(?:[^/]+\/)?([^/]+)$/;

/**
 * Returns the awslogs stream of one container of the task, `<prefix>/<container>/<task ID>`, and
 * a CloudWatch console link to it. Null for a task ARN that is not an ECS task ARN.
 */
export function taskLogLocation(settings: TaskLogSettings, taskArn: string, containerName: string): TaskLogLocation | null {
  const match = TASK_ARN_PATTERN.exec(taskArn);
  if (match === null) {
    return null;
  }
  const [, partition = 'aws', arnRegion = '', taskId = ''] = match;
  const region = settings.region ?? arnRegion;
  const logStream = `${settings.streamPrefix}/${containerName}/${taskId}`;
  const host = CONSOLE_HOSTS[partition] ?? CONSOLE_HOSTS['aws'];
  // The console's logsV2 fragment takes each name URI-encoded with "%" written as "$25", so "/" is "$252F".
  const consoleEncode = (text: string) => encodeURIComponent(text).replaceAll('%', '$25');
  const logUrl = `https://${region}.${host}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${consoleEncode(settings.logGroup)}/log-events/${consoleEncode(logStream)}`;
  return { logGroup: settings.logGroup, logStream, logUrl };
}

interface TaskTimes {
  readonly taskStartedAt: string | null;
  readonly taskStoppedAt: string | null;
  readonly cronDurationSeconds: number | null;
}

const NO_TASK_TIMES: TaskTimes = { taskStartedAt: null, taskStoppedAt: null, cronDurationSeconds: null };

/**
 * Reads StartedAt and StoppedAt of the task: RunCron's result, or after a caught error the task
 * description in the error's cause and then the task StopCronTask described. Step Functions
 * writes them as epoch milliseconds, the ECS SDK as ISO text; both are read.
 */
export function readTaskTimes(task: unknown, taskError: CaughtError | undefined): TaskTimes {
  const candidates = taskError === undefined ? [task] : [parseJson(taskError.Cause), task];
  for (const candidate of candidates) {
    if (candidate === null || typeof candidate !== 'object') {
      continue;
    }
    const record = candidate as Record<string, unknown>;
    const startedAt = readInstant(record['StartedAt'] ?? record['startedAt']);
    const stoppedAt = readInstant(record['StoppedAt'] ?? record['stoppedAt']);
    if (startedAt === null) {
      continue;
    }
    return {
      taskStartedAt: new Date(startedAt).toISOString(),
      taskStoppedAt: stoppedAt === null ? null : new Date(stoppedAt).toISOString(),
      cronDurationSeconds: stoppedAt !== null && stoppedAt >= startedAt ? (stoppedAt - startedAt) / 1000 : null,
    };
  }
  return NO_TASK_TIMES;
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? 'null');
  } catch {
    return null;
  }
}

/** Epoch milliseconds of a number (epoch milliseconds) or ISO 8601 text, or null. */
function readInstant(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (typeof value === 'string') {
    const milliseconds = Date.parse(value);
    return Number.isFinite(milliseconds) ? milliseconds : null;
  }
  return null;
}

/** The workflow state ReleaseLock receives: RunCron's result or its caught error, or AcquireLock's caught error. */
export interface ReleaseInput {
  readonly settings: SettingsState;
  readonly lease?: LeaseState | undefined;
  readonly task?: unknown;
  readonly taskError?: CaughtError | undefined;
  /** Set on the path where AcquireLock itself failed, so this execution may or may not hold the lease. */
  readonly acquireError?: CaughtError | undefined;
}

export interface ReleaseOutput {
  readonly settings: SettingsState;
  readonly lease: LeaseState | null;
  readonly summary: Summary;
}

/** The error a failed execution ends with when the lock store could not be reached. */
export const LOCK_STORE_UNAVAILABLE = 'LockStoreUnavailable';

/**
 * Ends this execution's lease (keeping the minimum hold) and writes the execution's summary.
 * A lease that another execution took in the meantime is left alone and logged as lost.
 */
export async function releaseLease(
  input: ReleaseInput,
  store: LeaseStore,
  logger: Logger,
  logSettings: TaskLogSettings | null = null,
): Promise<ReleaseOutput> {
  const { settings } = input;
  const fencingToken = input.lease?.acquired ? input.lease.fencingToken : null;
  const release = await store.release({
    lockName: settings.job,
    owner: settings.owner,
    fencingToken,
    // After AcquireLock failed no cron started, so no minimum hold is kept: the next trigger may run.
    minHoldSeconds: input.acquireError ? 0 : settings.minHoldSeconds,
  });
  logRelease(release, settings, fencingToken, logger);

  const taskOutcome = input.acquireError
    ? describeAcquireFailure(input.acquireError)
    : classifyTaskOutcome(input.task, input.taskError, settings.task.containerName);
  const summary = buildSummary(input, taskOutcome, release, logSettings);
  const runKeys = {
    job: settings.job,
    fencingToken,
    leaseUntil: summary.lockUntil,
    taskArn: summary.taskArn,
    cronExitCode: summary.cronExitCode,
    cronDurationSeconds: summary.cronDurationSeconds,
  };
  if (summary.outcome === 'failed') {
    logger.error('Execution failed', { ...runKeys, errorName: summary.error, reason: summary.message });
  } else {
    logger.info('Cron ran', runKeys);
  }
  return { settings, lease: input.lease ?? null, summary };
}

function logRelease(release: ReleaseResult, settings: SettingsState, fencingToken: number | null, logger: Logger): void {
  const keys = { job: settings.job, owner: settings.owner, fencingToken };
  if (release.status === 'lost') {
    // Should not happen while the run timeout stays inside the lease: it means the lease expired
    // under a running task, or the row was changed by hand.
    logger.warn('Lease lost before release; nothing was changed', {
      ...keys,
      currentOwner: release.lease?.owner ?? null,
      currentFencingToken: release.lease?.fencingToken ?? null,
      currentLockUntil: release.lease?.lockUntil ?? null,
    });
  } else {
    logger.info(release.status === 'released' ? 'Lease released' : 'Lease was already released', keys);
  }
}

function describeAcquireFailure(error: CaughtError): TaskOutcome {
  const transient = (TRANSIENT_LOCK_STORE_ERROR_NAMES as readonly string[]).includes(error.Error);
  return {
    outcome: 'failed',
    error: transient ? LOCK_STORE_UNAVAILABLE : error.Error,
    cronStarted: false,
    cronExitCode: null,
    taskArn: null,
    stopCode: null,
    stoppedReason: null,
    containers: [],
    message: `${transient ? 'Lock store unavailable' : 'AcquireLock failed'}: ${error.Error}: ${error.Cause ?? ''}. No task was started.`,
  };
}

function describeRelease(release: ReleaseResult): string {
  switch (release.status) {
    case 'released':
      return 'The lease was released; the lock is free from the summary\'s lockUntil (the end of the minimum hold), or at once if that has passed.';
    case 'already-released':
      return 'The lease was already released by an earlier attempt.';
    case 'lost': {
      const current = release.lease?.owner
        ? ` (the row now names ${release.lease.owner} with fencing token ${release.lease.fencingToken} and lease end ${release.lease.lockUntil ?? 'none'})`
        : '';
      return `The lease had been lost before release${current}, so nothing was changed.`;
    }
  }
}

/**
 * Returns the lease end to report after the release. A release sets lock_until to the later of
 * the release time and lockedAt + minHoldSeconds, capped at the acquired lease end. The release
 * time is not read back (it would cost a statement), so after a release this reports the end of
 * the minimum hold: the lock is free from then, or at once if that time has passed. A lost lease
 * keeps the acquired end, the last end this execution read.
 */
export function lockUntilAfterRelease(lease: LeaseState, release: ReleaseResult, minHoldSeconds: number): string | null {
  if (release.status === 'lost' || lease.lockedAt === null || lease.lockUntil === null) {
    return lease.lockUntil;
  }
  const minimumHoldEnd = addSeconds(lease.lockedAt, minHoldSeconds);
  return Date.parse(minimumHoldEnd) < Date.parse(lease.lockUntil) ? minimumHoldEnd : lease.lockUntil;
}

/** Adds whole seconds to an ISO 8601 UTC instant, keeping its microseconds. */
function addSeconds(iso: string, seconds: number): string {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  if (match === null) {
    throw new RangeError(`"${iso}" is not an ISO 8601 UTC instant`);
  }
  const [, wholeSeconds = '', fraction = ''] = match;
  const shifted = new Date(Date.parse(`${wholeSeconds}Z`) + seconds * 1000).toISOString().slice(0, 19);
  return `${shifted}${fraction}Z`;
}

function buildSummary(input: ReleaseInput, taskOutcome: TaskOutcome, release: ReleaseResult, logSettings: TaskLogSettings | null): Summary {
  const lease = input.lease;
  const acquired = lease?.acquired === true;
  const times = input.acquireError ? NO_TASK_TIMES : readTaskTimes(input.task, input.taskError);
  const log = taskOutcome.taskArn === null || logSettings === null
    ? null
    : taskLogLocation(logSettings, taskOutcome.taskArn, input.settings.task.containerName);
  const summary: Summary = {
    ...emptySummary(input.settings),
    outcome: taskOutcome.outcome,
    holder: acquired ? input.settings.owner : (lease?.holder ?? null),
    fencingToken: acquired ? lease.fencingToken : null,
    lockedAt: acquired ? lease.lockedAt : null,
    lockUntil: acquired ? lockUntilAfterRelease(lease, release, input.settings.minHoldSeconds) : null,
    error: taskOutcome.error,
    cronStarted: taskOutcome.cronStarted,
    cronExitCode: taskOutcome.cronExitCode,
    taskArn: taskOutcome.taskArn,
    ...times,
    stopCode: taskOutcome.stopCode,
    stoppedReason: taskOutcome.stoppedReason,
    containers: [...taskOutcome.containers],
    logGroup: log?.logGroup ?? null,
    logStream: log?.logStream ?? null,
    logUrl: log?.logUrl ?? null,
    releaseStatus: release.status,
    message: `${taskOutcome.message} ${describeRelease(release)}`,
  };
  return summary.outcome === 'failed' ? { ...summary, cause: JSON.stringify({ ...summary, cause: undefined }) } : summary;
}
