import { setTimeout as delay } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { MAX_HOLD_SECONDS } from '../../functions/shared/config.ts';
import { describeAwsError, executionConsoleUrl, resolveRegion, resolveStateMachineArn, STATE_MACHINE_ARN_VARIABLE } from '../aws.ts';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { exitCodeForOutcome, readExecutionReport, type ExecutionReport } from '../execution-report.ts';
import { formatInstant, formatSeconds, shortArn } from '../format.ts';
import { reserveStdoutForResult, writeNote, writeResult } from '../output.ts';
import { validateJobArgument } from './status.ts';

type Environment = Readonly<Record<string, string | undefined>>;

/** Default time `--wait` follows an execution: longer than the default 30-minute hold. */
export const DEFAULT_WAIT_SECONDS = 2400;
/** Default time between two reads of the execution history. */
export const DEFAULT_POLL_SECONDS = 5;

/** Execution names: 1 to 80 letters, digits, "-" or "_" (a subset of what Step Functions allows). */
const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

export interface RunOptions {
  readonly stateMachineArn?: string;
  readonly region?: string;
  readonly holdSeconds?: string;
  readonly name?: string;
  readonly wait?: boolean;
  readonly waitSeconds?: string;
  readonly pollSeconds?: string;
  readonly json?: boolean;
}

export interface RunResult {
  readonly executionArn: string;
  readonly startDate: string | null;
  readonly consoleUrl: string;
  readonly input: Record<string, unknown>;
  /** The finished execution, with --wait; null without it. */
  readonly execution: ExecutionReport | null;
}

export interface RunDependencies {
  readonly environment?: Environment;
  readonly createClient?: (region: string | null) => SFNClient;
  readonly sleep?: (milliseconds: number) => Promise<void>;
  readonly now?: () => Date;
  /** Receives progress lines (states entered, failures and retries); default: stderr. */
  readonly progress?: (line: string) => void;
}

/** Adds `cronlock run <job>`. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .argument('<job>', 'the job to run, as configured in config/jobs.json')
    .description('start an execution of the workflow for one job now; with --wait, follow it and exit with its outcome')
    .option('--state-machine-arn <arn>', `the cronlock state machine (default: ${STATE_MACHINE_ARN_VARIABLE})`)
    .option('--region <region>', 'AWS region (default: the region of the state machine ARN)')
    .option('--hold-seconds <seconds>', "lease length for this run in seconds (default: the job's holdSeconds)")
    .option('--name <name>', 'execution name; Step Functions starts each name once (default: a generated name)')
    .option('--wait', 'follow the execution state by state until it ends; exit 0 ran, 3 skipped, 1 failed')
    .option('--wait-seconds <seconds>', 'how long --wait follows the execution before it gives up', String(DEFAULT_WAIT_SECONDS))
    .option('--poll-seconds <seconds>', 'time between two reads of the execution history with --wait', String(DEFAULT_POLL_SECONDS))
    .option('--json', 'print the result as JSON; progress still goes to stderr')
    .action(async (job: string, options: RunOptions) => {
      reserveStdoutForResult();
      const { result, exitCode } = await runJob(job, options);
      writeResult(options.json ? JSON.stringify(result, null, 2) : renderRun(result));
      process.exitCode = exitCode;
    });
}

/** Starts the execution and, with --wait, follows it to its end. */
export async function runJob(job: string, options: RunOptions, dependencies: RunDependencies = {}): Promise<{ result: RunResult; exitCode: number }> {
  validateJobArgument(job);
  const environment = dependencies.environment ?? process.env;
  const stateMachineArn = resolveStateMachineArn(options.stateMachineArn, environment);
  const input: Record<string, unknown> = { job };
  if (options.holdSeconds !== undefined) {
    input['holdSeconds'] = readWholeSeconds('--hold-seconds', options.holdSeconds, 1, MAX_HOLD_SECONDS);
  }
  if (options.name !== undefined && !EXECUTION_NAME_PATTERN.test(options.name)) {
    throw new CliError(`--name "${options.name}" is not allowed; use 1 to 80 letters, digits, "-" or "_"`);
  }
  const waitSeconds = readWholeSeconds('--wait-seconds', options.waitSeconds ?? String(DEFAULT_WAIT_SECONDS), 1, 365 * 86_400);
  const pollSeconds = readWholeSeconds('--poll-seconds', options.pollSeconds ?? String(DEFAULT_POLL_SECONDS), 1, 3600);

  const client = (dependencies.createClient ?? defaultClient)(resolveRegion(options.region, stateMachineArn, environment));
  const progress = dependencies.progress ?? writeNote;
  let started;
  try {
    started = await client.send(new StartExecutionCommand({
      stateMachineArn,
      input: JSON.stringify(input),
      ...(options.name === undefined ? {} : { name: options.name }),
    }));
  } catch (error) {
    throw describeAwsError(error, `StartExecution on ${stateMachineArn}`);
  }
  const executionArn = started.executionArn ?? '';
  const consoleUrl = executionConsoleUrl(executionArn);
  progress(`Started ${executionArn}\n  ${consoleUrl}`);

  const base = { executionArn, startDate: started.startDate?.toISOString() ?? null, consoleUrl, input };
  if (options.wait !== true) {
    return { result: { ...base, execution: null }, exitCode: EXIT_CODES.success };
  }
  const execution = await followExecution(client, executionArn, {
    waitMilliseconds: waitSeconds * 1000,
    pollMilliseconds: pollSeconds * 1000,
    sleep: dependencies.sleep ?? ((milliseconds) => delay(milliseconds)),
    now: dependencies.now ?? (() => new Date()),
    progress,
  });
  return { result: { ...base, execution }, exitCode: exitCodeForOutcome(execution.outcome) };
}

interface FollowOptions {
  readonly waitMilliseconds: number;
  readonly pollMilliseconds: number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly now: () => Date;
  readonly progress: (line: string) => void;
}

/** Event types that end an execution. */
const EXECUTION_END_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/**
 * Reads the execution history until an event ends the execution, printing each new state and
 * each failed attempt, then describes the execution. Gives up with a failure at the deadline;
 * the execution goes on in AWS.
 */
async function followExecution(client: SFNClient, executionArn: string, options: FollowOptions): Promise<ExecutionReport> {
  const deadline = options.now().getTime() + options.waitMilliseconds;
  let lastEventId = 0;
  for (;;) {
    const events = await readHistory(client, executionArn);
    const fresh = events.filter((event) => (event.id ?? 0) > lastEventId);
    for (const event of fresh) {
      const line = describeEvent(event);
      if (line !== null) {
        options.progress(line);
      }
    }
    lastEventId = Math.max(lastEventId, ...events.map((event) => event.id ?? 0));
    if (events.some((event) => EXECUTION_END_EVENTS.has(event.type ?? ''))) {
      break;
    }
    if (options.now().getTime() + options.pollMilliseconds > deadline) {
      throw new CliError(
        `Execution ${executionArn} is still running after ${Math.round(options.waitMilliseconds / 1000)} s; it goes on in AWS. Follow it with "cronlock history" or in the console: ${executionConsoleUrl(executionArn)}`,
        EXIT_CODES.failure,
      );
    }
    await options.sleep(options.pollMilliseconds);
  }

  try {
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    return readExecutionReport(described, options.now());
  } catch (error) {
    throw describeAwsError(error, `DescribeExecution of ${executionArn}`);
  }
}

async function readHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: false }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    throw describeAwsError(error, `GetExecutionHistory of ${executionArn}`);
  }
  return events;
}

/** Returns a progress line for the events an operator follows (states entered, failed attempts, the end), else null. */
export function describeEvent(event: HistoryEvent): string | null {
  const type = event.type ?? '';
  if (type.endsWith('StateEntered')) {
    return `-> ${event.stateEnteredEventDetails?.name ?? '?'}`;
  }
  const failure = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails ?? event.lambdaFunctionTimedOutEventDetails
    ?? event.taskTimedOutEventDetails ?? event.lambdaFunctionScheduleFailedEventDetails ?? event.taskSubmitFailedEventDetails;
  if (failure !== undefined) {
    return `   ${type}: ${failure.error ?? 'error'}${failure.cause ? `: ${shorten(failure.cause)}` : ''}`;
  }
  if (EXECUTION_END_EVENTS.has(type)) {
    return `== ${type}`;
  }
  return null;
}

function shorten(text: string): string {
  const line = text.replaceAll(/\s+/g, ' ');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function readWholeSeconds(option: string, text: string, minimum: number, maximum: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum || value > maximum) {
    throw new CliError(`${option} must be a whole number of seconds from ${minimum} to ${maximum}, got "${text}"`);
  }
  return value;
}

function defaultClient(region: string | null): SFNClient {
  return new SFNClient(region === null ? {} : { region });
}

export function renderRun(result: RunResult): string {
  const execution = result.execution;
  if (execution === null) {
    return `Started ${shortArn(result.executionArn)} with input ${JSON.stringify(result.input)}.\n${result.consoleUrl}`;
  }
  return renderExecution(execution);
}

/** Renders a finished execution: outcome, error, lease, task and its containers. */
export function renderExecution(execution: ExecutionReport): string {
  const summary = execution.summary;
  const lines = [`${execution.outcome.toUpperCase()}: ${execution.job ?? '?'} ${shortArn(execution.executionArn)} (${execution.status}, ${formatSeconds(execution.durationSeconds)})`];
  if (execution.error !== null) {
    lines.push(`Error: ${execution.error}`);
  }
  if (execution.message !== null) {
    lines.push(execution.message);
  }
  if (summary !== null) {
    if (summary.holder !== null) {
      lines.push(`Lock holder: ${summary.holder}, fencing token ${summary.fencingToken ?? '-'}, lease end ${formatInstant(summary.lockUntil)}`);
    }
    if (summary.taskArn !== null) {
      lines.push(`Task: ${summary.taskArn}${summary.stopCode ? ` (${summary.stopCode}: ${summary.stoppedReason ?? ''})` : ''}`);
    }
    for (const container of summary.containers) {
      lines.push(`  ${container.name}: exit code ${container.exitCode ?? '-'}${container.reason ? ` (${container.reason})` : ''}`);
    }
    if (summary.logUrl !== null) {
      lines.push(`Logs: ${summary.logUrl}`);
    }
  }
  return lines.join('\n');
}
