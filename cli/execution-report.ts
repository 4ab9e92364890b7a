import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { DEFAULT_JOB } from '../functions/shared/settings.ts';
import { EXIT_CODES } from './exit-codes.ts';

/**
 * Reads what an execution did from DescribeExecution: the `summary` of its output, or for a
 * failed execution its cause, which is the summary as JSON when the workflow's Failed state ended
 * it, and the Lambda error otherwise.
 */

/** Result of an execution, `running` until it ends. */
export type ExecutionOutcome = 'ran' | 'skipped' | 'failed' | 'running' | 'aborted' | 'timed-out' | 'succeeded';

/** The fields of the execution summary that the CLI shows. */
export interface SummaryView {
  readonly outcome: string;
  readonly message: string | null;
  readonly job: string | null;
  readonly holder: string | null;
  readonly fencingToken: number | null;
  readonly lockUntil: string | null;
  readonly error: string | null;
  readonly cronExitCode: number | null;
  readonly cronDurationSeconds: number | null;
  readonly taskArn: string | null;
  readonly stopCode: string | null;
  readonly stoppedReason: string | null;
  readonly containers: readonly { name: string; exitCode: number | null; reason: string | null }[];
  readonly logUrl: string | null;
}

export interface ExecutionReport {
  readonly executionArn: string;
  readonly name: string | null;
  /** The Step Functions status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
  readonly status: string;
  readonly outcome: ExecutionOutcome;
  readonly job: string | null;
  readonly startDate: string | null;
  readonly stopDate: string | null;
  /** From start to stop, or to `now` while it runs. */
  readonly durationSeconds: number | null;
  /** This execution's fencing token; null when it took no lease (the holder's is in the summary). */
  readonly fencingToken: number | null;
  readonly cronExitCode: number | null;
  /** The execution's error name, such as CronFailed or LockStoreUnavailable. */
  readonly error: string | null;
  /** The summary's message, or the error message of a failure without a summary. */
  readonly message: string | null;
  readonly summary: SummaryView | null;
}

type DescribedExecution = Pick<DescribeExecutionCommandOutput, 'executionArn' | 'name' | 'status' | 'startDate' | 'stopDate' | 'input' | 'output' | 'error' | 'cause'>;

export function readExecutionReport(execution: DescribedExecution, now: Date = new Date()): ExecutionReport {
  const status = execution.status ?? 'UNKNOWN';
  const summary = status === 'FAILED'
    ? readSummary(parseJson(execution.cause))
    : readSummary(asRecord(parseJson(execution.output))?.['summary']);
  const input = asRecord(parseJson(execution.input));
  // An input without a job runs the default job.
  let inputJob: string | null = null;
  if (typeof input?.['job'] === 'string') {
    inputJob = input['job'];
  } else if (input !== null) {
    inputJob = DEFAULT_JOB;
  }
  const startDate = execution.startDate ?? null;
  const stopDate = execution.stopDate ?? null;

  return {
    executionArn: execution.executionArn ?? '',
    name: execution.name ?? null,
    status,
    outcome: outcomeOf(status, summary),
    job: summary?.job ?? inputJob,
    startDate: startDate?.toISOString() ?? null,
    stopDate: stopDate?.toISOString() ?? null,
    durationSeconds: startDate === null ? null : ((stopDate ?? now).getTime() - startDate.getTime()) / 1000,
    // A skipped execution's summary carries the holder's token, not one of its own.
    fencingToken: summary?.outcome === 'skipped' ? null : (summary?.fencingToken ?? null),
    cronExitCode: summary?.cronExitCode ?? null,
    error: execution.error ?? summary?.error ?? null,
    message: summary?.message ?? (status === 'FAILED' ? describeCause(execution.cause) : null),
    summary,
  };
}

function outcomeOf(status: string, summary: SummaryView | null): ExecutionOutcome {
  switch (status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return 'running';
    case 'FAILED':
      return 'failed';
    case 'ABORTED':
      return 'aborted';
    case 'TIMED_OUT':
      return 'timed-out';
    case 'SUCCEEDED':
      return summary?.outcome === 'ran' || summary?.outcome === 'skipped' ? summary.outcome : 'succeeded';
    default:
      return 'failed';
  }
}

/**
 * Returns the exit code for an execution's outcome: success when the cron ran, lockBusy when the lock was
 * held and the execution skipped, failure otherwise.
 */
export function exitCodeForOutcome(outcome: ExecutionOutcome): number {
  switch (outcome) {
    case 'ran':
    case 'succeeded':
      return EXIT_CODES.success;
    case 'skipped':
      return EXIT_CODES.lockBusy;
    default:
      return EXIT_CODES.failure;
  }
}

/** Reads a summary object, keeping only fields of the expected type; null when it has no outcome. */
export function readSummary(value: unknown): SummaryView | null {
  const record = asRecord(value);
  if (record === null || typeof record['outcome'] !== 'string') {
    return null;
  }
  const containers = Array.isArray(record['containers']) ? record['containers'] : [];
  return {
    outcome: record['outcome'],
    message: textOrNull(record['message']),
    job: textOrNull(record['job']),
    holder: textOrNull(record['holder']),
    fencingToken: numberOrNull(record['fencingToken']),
    lockUntil: textOrNull(record['lockUntil']),
    error: textOrNull(record['error']),
    cronExitCode: numberOrNull(record['cronExitCode']),
    cronDurationSeconds: numberOrNull(record['cronDurationSeconds']),
    taskArn: textOrNull(record['taskArn']),
    stopCode: textOrNull(record['stopCode']),
    stoppedReason: textOrNull(record['stoppedReason']),
    containers: containers.map((item) => {
      const container = asRecord(item);
      return { name: textOrNull(container?.['name']) ?? 'unnamed', exitCode: numberOrNull(container?.['exitCode']), reason: textOrNull(container?.['reason']) };
    }),
    logUrl: textOrNull(record['logUrl']),
  };
}

/** Returns the message of a Lambda error cause (`{"errorMessage": ...}`), or the cause text itself. */
function describeCause(cause: string | undefined): string | null {
  if (cause === undefined || cause === '') {
    return null;
  }
  const record = asRecord(parseJson(cause));
  return textOrNull(record?.['errorMessage']) ?? cause;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
