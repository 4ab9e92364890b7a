import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, type ExecutionStatus } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { describeAwsError, resolveRegion, resolveStateMachineArn, STATE_MACHINE_ARN_VARIABLE } from '../aws.ts';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { readExecutionReport, type ExecutionReport } from '../execution-report.ts';
import { formatInstant, formatSeconds, formatTable, shortArn } from '../format.ts';
import { reserveStdoutForResult, writeResult } from '../output.ts';
import { validateJobArgument } from './status.ts';

type Environment = Readonly<Record<string, string | undefined>>;

export const DEFAULT_HISTORY_LIMIT = 20;
/** Most executions listed while looking for one job's, so that a rare job does not page forever. */
export const MAX_SCANNED_EXECUTIONS = 1000;
/** ListExecutions returns at most 1000 per page; smaller pages describe fewer unneeded executions. */
const PAGE_SIZE = 100;

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;

export interface HistoryOptions {
  readonly stateMachineArn?: string;
  readonly region?: string;
  readonly limit?: string;
  readonly status?: string;
  readonly json?: boolean;
}

export interface HistoryResult {
  readonly stateMachineArn: string;
  readonly job: string | null;
  /** Newest first. */
  readonly executions: readonly ExecutionReport[];
  /** How many executions were listed to find these. */
  readonly scanned: number;
}

export interface HistoryDependencies {
  readonly environment?: Environment;
  readonly createClient?: (region: string | null) => SFNClient;
  readonly now?: () => Date;
}

/** Adds `cronlock history [job]`. */
export function registerHistoryCommand(program: Command): void {
  program
    .command('history')
    .argument('[job]', 'show only executions of this job')
    .description('list recent executions with outcome (ran, skipped, failed), duration, fencing token and exit code')
    .option('--state-machine-arn <arn>', `the cronlock state machine (default: ${STATE_MACHINE_ARN_VARIABLE})`)
    .option('--region <region>', 'AWS region (default: the region of the state machine ARN)')
    .option('--limit <count>', 'number of executions to show, newest first', String(DEFAULT_HISTORY_LIMIT))
    .option('--status <status>', `only executions with this Step Functions status: ${STATUSES.join(', ')}`)
    .option('--json', 'print the result as JSON')
    .action(async (job: string | undefined, options: HistoryOptions) => {
      reserveStdoutForResult();
      const result = await readHistory(job, options);
      writeResult(options.json ? JSON.stringify(result, null, 2) : renderHistory(result));
      process.exitCode = EXIT_CODES.success;
    });
}

/**
 * Lists executions newest first and describes each, until `limit` of them match the job or
 * MAX_SCANNED_EXECUTIONS were listed.
 */
export async function readHistory(job: string | undefined, options: HistoryOptions, dependencies: HistoryDependencies = {}): Promise<HistoryResult> {
  if (job !== undefined) {
    validateJobArgument(job);
  }
  const environment = dependencies.environment ?? process.env;
  const stateMachineArn = resolveStateMachineArn(options.stateMachineArn, environment);
  const limit = Number(options.limit ?? DEFAULT_HISTORY_LIMIT);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCANNED_EXECUTIONS) {
    throw new CliError(`--limit must be a whole number from 1 to ${MAX_SCANNED_EXECUTIONS}, got "${options.limit}"`);
  }
  const statusFilter = readStatusFilter(options.status);
  const client = (dependencies.createClient ?? defaultClient)(resolveRegion(options.region, stateMachineArn, environment));
  const now = dependencies.now?.() ?? new Date();

  const executions: ExecutionReport[] = [];
  let scanned = 0;
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListExecutionsCommand({
        stateMachineArn,
        maxResults: job === undefined ? Math.min(PAGE_SIZE, limit) : PAGE_SIZE,
        nextToken,
        ...(statusFilter === undefined ? {} : { statusFilter }),
      }));
    } catch (error) {
      throw describeAwsError(error, `ListExecutions of ${stateMachineArn}`);
    }
    for (const listed of page.executions ?? []) {
      if (executions.length >= limit || scanned >= MAX_SCANNED_EXECUTIONS) {
        break;
      }
      scanned += 1;
      let described;
      try {
        described = await client.send(new DescribeExecutionCommand({ executionArn: listed.executionArn }));
      } catch (error) {
        throw describeAwsError(error, `DescribeExecution of ${listed.executionArn ?? '?'}`);
      }
      const report = readExecutionReport(described, now);
      if (job === undefined || report.job === job) {
        executions.push(report);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined && executions.length < limit && scanned < MAX_SCANNED_EXECUTIONS);

  return { stateMachineArn, job: job ?? null, executions, scanned };
}

function readStatusFilter(status: string | undefined): ExecutionStatus | undefined {
  if (status === undefined) {
    return undefined;
  }
  const upper = status.toUpperCase();
  if (!(STATUSES as readonly string[]).includes(upper)) {
    throw new CliError(`--status "${status}" is not one of ${STATUSES.join(', ')}`);
  }
  return upper as ExecutionStatus;
}

function defaultClient(region: string | null): SFNClient {
  return new SFNClient(region === null ? {} : { region });
}

export function renderHistory(result: HistoryResult): string {
  if (result.executions.length === 0) {
    return `No executions${result.job === null ? '' : ` of job "${result.job}"`} among the ${result.scanned} most recent of ${result.stateMachineArn}.`;
  }
  const rows = result.executions.map((execution) => [
    formatInstant(execution.startDate),
    execution.job ?? '-',
    execution.outcome,
    formatSeconds(execution.durationSeconds),
    execution.fencingToken === null ? '-' : String(execution.fencingToken),
    execution.cronExitCode === null ? '-' : String(execution.cronExitCode),
    execution.error ?? '-',
    shortArn(execution.executionArn),
  ]);
  return formatTable(['STARTED', 'JOB', 'OUTCOME', 'DURATION', 'TOKEN', 'EXIT', 'ERROR', 'EXECUTION'], rows);
}
