import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
  type HistoryEventType,
} from '@aws-sdk/client-sfn';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readHistory, renderHistory } from '../../cli/commands/history.ts';
import { renderExecution, runJob, type RunDependencies } from '../../cli/commands/run.ts';
import { CliError, EXIT_CODES } from '../../cli/exit-codes.ts';
import { exitCodeForOutcome, readExecutionReport } from '../../cli/execution-report.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { createMysqlExecutor, type MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { LocalEcs } from '../../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { enteredStates, runLocalExecution, type LocalRunResult } from '../../local/runner.ts';
import { createTestDatabase } from '../database.ts';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:cronlock-prod';
const EXECUTION_PREFIX = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock-prod:';

const sfnMock = mockClient(SFNClient);

/** Real outputs of the local workflow, served by the mocked DescribeExecution. */
interface Fixtures {
  readonly ran: LocalRunResult;
  readonly skipped: LocalRunResult;
  readonly failed: LocalRunResult;
}

let executor: MysqlExecutor;
let fixtures: Fixtures;

beforeAll(async () => {
  executor = createMysqlExecutor(await createTestDatabase('cli_run'));
  const config = localRuntimeConfig();
  const run = (input: unknown, taskCommand: string) => runLocalExecution({
    input,
    executor,
    config,
    ecs: new LocalEcs({ taskCommand, stopGraceSeconds: 1 }),
    logger: createLogger('SILENT'),
  });
  // The first run keeps its 240 s minimum hold, so the second one skips.
  const ran = await run({ job: 'cron' }, 'exit 0');
  const skipped = await run({ job: 'cron' }, 'exit 0');
  const failed = await run({ job: 'pop' }, 'exit 3');
  fixtures = { ran, skipped, failed };
});

afterAll(async () => {
  await executor.close();
});

beforeEach(() => {
  sfnMock.reset();
});

const START = new Date('2026-12-04T10:00:00.000Z');

/** Builds the DescribeExecution output that Step Functions returns for such an execution. */
function described(result: LocalRunResult, name: string, input: unknown, durationSeconds: number): DescribeExecutionCommandOutput {
  return {
    $metadata: {},
    executionArn: `${EXECUTION_PREFIX}${name}`,
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status: result.status,
    startDate: START,
    stopDate: new Date(START.getTime() + durationSeconds * 1000),
    input: JSON.stringify(input),
    ...(result.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output) } : {}),
    ...(result.error === null ? {} : { error: result.error }),
    ...(result.cause === null ? {} : { cause: result.cause }),
  };
}

/** Builds the history events that Step Functions records for the states the local run entered. */
function historyOf(result: LocalRunResult): HistoryEvent[] {
  const events: HistoryEvent[] = [{ id: 1, type: 'ExecutionStarted', timestamp: START }];
  for (const event of result.events) {
    if (event.type === 'StateEntered' && event.state) {
      const type = `${event.state.type}StateEntered` as HistoryEventType;
      events.push({ id: events.length + 1, type, timestamp: START, stateEnteredEventDetails: { name: event.state.name } });
    }
  }
  events.push({ id: events.length + 1, type: result.status === 'SUCCEEDED' ? 'ExecutionSucceeded' : 'ExecutionFailed', timestamp: START });
  return events;
}

/** Creates a clock that only moves when the command sleeps, so the test never waits. */
function fakeTime(): Pick<RunDependencies, 'sleep' | 'now'> & { sleeps: number[] } {
  let now = START.getTime();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(now),
    sleep: (milliseconds) => {
      sleeps.push(milliseconds);
      now += milliseconds;
      return Promise.resolve();
    },
  };
}

function runDependencies(progress: string[], extra: Partial<RunDependencies> = {}): RunDependencies {
  return {
    environment: {},
    createClient: () => new SFNClient({ region: 'eu-west-1' }),
    progress: (line) => progress.push(line),
    ...fakeTime(),
    ...extra,
  };
}

describe('run', () => {
  it('starts an execution with the job', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}manual`, startDate: START });
    const progress: string[] = [];

    const { result, exitCode } = await runJob('cron', { stateMachineArn: STATE_MACHINE_ARN, holdSeconds: '900', name: 'manual' }, runDependencies(progress));

    expect(exitCode).toBe(EXIT_CODES.success);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      input: '{"job":"cron","holdSeconds":900}',
      name: 'manual',
    });
    expect(result.executionArn).toBe(`${EXECUTION_PREFIX}manual`);
    expect(result.consoleUrl).toBe(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_PREFIX}manual`);
    expect(result.execution).toBeNull();
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
    expect(progress[0]).toContain(`Started ${EXECUTION_PREFIX}manual`);
  });

  it('region from the state machine ARN', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}x`, startDate: START });
    const regions: (string | null)[] = [];

    await runJob('cron', { stateMachineArn: STATE_MACHINE_ARN }, runDependencies([], {
      environment: { AWS_REGION: 'us-east-1' },
      createClient: (region) => {
        regions.push(region);
        return new SFNClient({ region: region ?? 'us-east-1' });
      },
    }));

    expect(regions).toEqual(['eu-west-1']);
  });

  it('state machine from CRONLOCK_STATE_MACHINE_ARN', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}x`, startDate: START });

    await runJob('pop', {}, runDependencies([], { environment: { CRONLOCK_STATE_MACHINE_ARN: STATE_MACHINE_ARN } }));

    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE_ARN, input: '{"job":"pop"}' });
  });

  it('waits and exits 0 when the cron ran', async () => {
    const history = historyOf(fixtures.ran);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}ran`, startDate: START });
    sfnMock.on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: history.slice(0, 3) })
      .resolves({ events: history });
    sfnMock.on(DescribeExecutionCommand).resolves(described(fixtures.ran, 'ran', { job: 'cron' }, 95));
    const progress: string[] = [];
    const time = fakeTime();

    const { result, exitCode } = await runJob('cron', { stateMachineArn: STATE_MACHINE_ARN, wait: true }, runDependencies(progress, time));

    expect(exitCode).toBe(EXIT_CODES.success);
    expect(result.execution?.outcome).toBe('ran');
    expect(result.execution?.fencingToken).toBe(1);
    expect(result.execution?.cronExitCode).toBe(0);
    expect(result.execution?.durationSeconds).toBe(95);
    const entered = progress.filter((line) => line.startsWith('-> '));
    // Each state once, in order, although the first read returned only part of the history.
    expect(entered).toEqual(enteredStates(fixtures.ran.events).map((state) => `-> ${state}`));
    expect(entered).toContain('-> RunCron');
    expect(time.sleeps).toEqual([5000]);
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toMatchObject({ executionArn: `${EXECUTION_PREFIX}ran` });
    expect(renderExecution(result.execution as NonNullable<typeof result.execution>)).toContain('RAN: cron ran');
  });

  it('exits 3 when skipped', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}skipped`, startDate: START });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: historyOf(fixtures.skipped) });
    sfnMock.on(DescribeExecutionCommand).resolves(described(fixtures.skipped, 'skipped', { job: 'cron' }, 2));

    const { result, exitCode } = await runJob('cron', { stateMachineArn: STATE_MACHINE_ARN, wait: true }, runDependencies([]));

    expect(exitCode).toBe(EXIT_CODES.lockBusy);
    expect(result.execution?.outcome).toBe('skipped');
    expect(result.execution?.summary?.holder).toBe(fixtures.ran.executionArn);
    expect(result.execution?.summary?.fencingToken).toBe(1);
    expect(result.execution?.fencingToken).toBeNull();
    expect(renderExecution(result.execution as NonNullable<typeof result.execution>)).toContain(`Lock holder: ${fixtures.ran.executionArn}, fencing token 1`);
  });

  it('exits 1 when the cron failed', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}failed`, startDate: START });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: historyOf(fixtures.failed) });
    sfnMock.on(DescribeExecutionCommand).resolves(described(fixtures.failed, 'failed', { job: 'pop' }, 12));

    const { result, exitCode } = await runJob('pop', { stateMachineArn: STATE_MACHINE_ARN, wait: true }, runDependencies([]));

    expect(exitCode).toBe(EXIT_CODES.failure);
    expect(result.execution?.outcome).toBe('failed');
    expect(result.execution?.error).toBe('CronFailed');
    expect(result.execution?.cronExitCode).toBe(3);
    expect(result.execution?.summary?.containers).toEqual([{ name: 'whmcs', exitCode: 3, reason: null }]);
    expect(renderExecution(result.execution as NonNullable<typeof result.execution>)).toContain('whmcs: exit code 3');
  });

  it('prints failed attempts', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}retry`, startDate: START });
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, type: 'ExecutionStarted', timestamp: START },
        { id: 2, type: 'TaskStateEntered', timestamp: START, stateEnteredEventDetails: { name: 'EnsureLockTable' } },
        { id: 3, type: 'LambdaFunctionFailed', timestamp: START, lambdaFunctionFailedEventDetails: { error: 'DatabaseResumingException', cause: 'resuming' } },
        { id: 4, type: 'ExecutionFailed', timestamp: START },
      ],
    });
    sfnMock.on(DescribeExecutionCommand).resolves({
      $metadata: {}, executionArn: `${EXECUTION_PREFIX}retry`, status: 'FAILED', startDate: START, stopDate: START,
      input: '{"job":"cron"}', error: 'LockStoreUnavailable', cause: '{"errorMessage":"Lock store unavailable (DatabaseResumingException): resuming","errorType":"DatabaseResumingException"}',
    });
    const progress: string[] = [];

    const { result, exitCode } = await runJob('cron', { stateMachineArn: STATE_MACHINE_ARN, wait: true }, runDependencies(progress));

    expect(exitCode).toBe(EXIT_CODES.failure);
    expect(progress).toContain('   LambdaFunctionFailed: DatabaseResumingException: resuming');
    expect(result.execution?.error).toBe('LockStoreUnavailable');
    expect(result.execution?.message).toBe('Lock store unavailable (DatabaseResumingException): resuming');
  });

  it('gives up at the deadline', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}slow`, startDate: START });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: historyOf(fixtures.ran).slice(0, 7) });
    const time = fakeTime();

    const promise = runJob('cron', { stateMachineArn: STATE_MACHINE_ARN, wait: true, waitSeconds: '60', pollSeconds: '10' }, runDependencies([], time));

    await expect(promise).rejects.toThrow(/still running after 60 s/);
    await expect(promise).rejects.toMatchObject({ exitCode: EXIT_CODES.failure });
    expect(time.sleeps.reduce((sum, milliseconds) => sum + milliseconds, 0)).toBeLessThanOrEqual(60_000);
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('follows history pages', async () => {
    const history = historyOf(fixtures.ran);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}pages`, startDate: START });
    sfnMock.on(GetExecutionHistoryCommand, { nextToken: undefined }).resolves({ events: history.slice(0, 4), nextToken: 'page-2' });
    sfnMock.on(GetExecutionHistoryCommand, { nextToken: 'page-2' }).resolves({ events: history.slice(4) });
    sfnMock.on(DescribeExecutionCommand).resolves(described(fixtures.ran, 'pages', { job: 'cron' }, 1));
    const progress: string[] = [];

    const { exitCode } = await runJob('cron', { stateMachineArn: STATE_MACHINE_ARN, wait: true }, runDependencies(progress));

    expect(exitCode).toBe(EXIT_CODES.success);
    expect(progress.filter((line) => line.startsWith('-> '))).toHaveLength(enteredStates(fixtures.ran.events).length);
  });

  it('rejects without a state machine', async () => {
    const promise = runJob('cron', {}, runDependencies([]));

    await expect(promise).rejects.toThrow(/--state-machine-arn.*CRONLOCK_STATE_MACHINE_ARN/);
    await expect(promise).rejects.toMatchObject({ exitCode: EXIT_CODES.usage });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('rejects bad options', async () => {
    await expect(runJob('cron', { stateMachineArn: 'cronlock' }, runDependencies([]))).rejects.toThrow(/is not a state machine ARN/);
    await expect(runJob('cron', { stateMachineArn: STATE_MACHINE_ARN, holdSeconds: '1.5' }, runDependencies([]))).rejects.toThrow(/--hold-seconds must be a whole number/);
    await expect(runJob('Cron', { stateMachineArn: STATE_MACHINE_ARN }, runDependencies([]))).rejects.toThrow(CliError);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('explains a missing region', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new Error('Region is missing'));

    const promise = runJob('cron', { stateMachineArn: STATE_MACHINE_ARN }, runDependencies([]));

    await expect(promise).rejects.toThrow(/--region, set AWS_REGION/);
    await expect(promise).rejects.toMatchObject({ exitCode: EXIT_CODES.usage });
  });

  it('access denied is a failure', async () => {
    const error = new Error('User is not authorized to perform: states:StartExecution');
    error.name = 'AccessDeniedException';
    sfnMock.on(StartExecutionCommand).rejects(error);

    const promise = runJob('cron', { stateMachineArn: STATE_MACHINE_ARN }, runDependencies([]));

    await expect(promise).rejects.toThrow(/StartExecution on .* was denied/);
    await expect(promise).rejects.toMatchObject({ exitCode: EXIT_CODES.failure });
  });
});

describe('history', () => {
  const executions = () => [
    described(fixtures.failed, 'e4', { job: 'pop' }, 12),
    described(fixtures.skipped, 'e3', {}, 2),
    described(fixtures.ran, 'e2', { job: 'cron' }, 95),
    {
      $metadata: {}, executionArn: `${EXECUTION_PREFIX}e1`, name: 'e1', status: 'FAILED' as const, startDate: START, stopDate: new Date(START.getTime() + 110_000),
      input: '{"job":"pop"}', error: 'LockStoreUnavailable',
      cause: '{"errorMessage":"Lock store unavailable (DatabaseResumingException): resuming","errorType":"DatabaseResumingException"}',
    },
  ];

  function serve(pageSize: number): void {
    const all = executions();
    all.forEach((execution, index) => {
      sfnMock.on(DescribeExecutionCommand, { executionArn: execution.executionArn }).resolves(execution);
      if (index % pageSize === 0) {
        const page = all.slice(index, index + pageSize);
        const nextToken = index + pageSize < all.length ? `page-${index + pageSize}` : undefined;
        sfnMock.on(ListExecutionsCommand, { nextToken: index === 0 ? undefined : `page-${index}` })
          .resolves({ executions: page.map((item) => ({ executionArn: item.executionArn, stateMachineArn: STATE_MACHINE_ARN, name: item.name, status: item.status, startDate: START })), nextToken });
      }
    });
  }

  it('outcome, duration, token and exit code', async () => {
    serve(2);

    const result = await readHistory(undefined, { stateMachineArn: STATE_MACHINE_ARN }, { environment: {}, createClient: () => new SFNClient({ region: 'eu-west-1' }) });

    expect(result.executions.map((execution) => [execution.name, execution.job, execution.outcome, execution.durationSeconds, execution.fencingToken, execution.cronExitCode, execution.error]))
      .toEqual([
        ['e4', 'pop', 'failed', 12, 1, 3, 'CronFailed'],
        ['e3', 'cron', 'skipped', 2, null, null, null],
        ['e2', 'cron', 'ran', 95, 1, 0, null],
        ['e1', 'pop', 'failed', 110, null, null, 'LockStoreUnavailable'],
      ]);
    expect(result.executions[3]?.message).toBe('Lock store unavailable (DatabaseResumingException): resuming');
    expect(sfnMock.commandCalls(ListExecutionsCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'page-2']);
    const table = renderHistory(result);
    expect(table.split('\n')[0]).toMatch(/^STARTED\s+JOB\s+OUTCOME\s+DURATION\s+TOKEN\s+EXIT\s+ERROR\s+EXECUTION$/);
    expect(table).toContain('1m 35s');
  });

  it('filters by job', async () => {
    serve(4);

    const result = await readHistory('pop', { stateMachineArn: STATE_MACHINE_ARN }, { environment: {}, createClient: () => new SFNClient({ region: 'eu-west-1' }) });

    expect(result.executions.map((execution) => execution.name)).toEqual(['e4', 'e1']);
    expect(result.scanned).toBe(4);
  });

  it('stops at the limit', async () => {
    serve(2);

    const result = await readHistory(undefined, { stateMachineArn: STATE_MACHINE_ARN, limit: '1' }, { environment: {}, createClient: () => new SFNClient({ region: 'eu-west-1' }) });

    expect(result.executions.map((execution) => execution.name)).toEqual(['e4']);
    expect(sfnMock.commandCalls(ListExecutionsCommand)).toHaveLength(1);
    expect(sfnMock.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 1 });
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });

  it('passes the status filter', async () => {
    serve(4);

    await readHistory(undefined, { stateMachineArn: STATE_MACHINE_ARN, status: 'failed' }, { environment: {}, createClient: () => new SFNClient({ region: 'eu-west-1' }) });

    expect(sfnMock.commandCalls(ListExecutionsCommand)[0]?.args[0].input.statusFilter).toBe('FAILED');
  });

  it('rejects a bad status', async () => {
    await expect(readHistory(undefined, { stateMachineArn: STATE_MACHINE_ARN, status: 'done' }, { environment: {} })).rejects.toThrow(/--status "done" is not one of/);
  });
});

describe('readExecutionReport', () => {
  it('running execution', () => {
    const report = readExecutionReport(
      { executionArn: `${EXECUTION_PREFIX}now`, status: 'RUNNING', startDate: START, input: '{}' },
      new Date(START.getTime() + 30_000),
    );

    expect(report.outcome).toBe('running');
    expect(report.job).toBe('cron');
    expect(report.durationSeconds).toBe(30);
    expect(exitCodeForOutcome(report.outcome)).toBe(EXIT_CODES.failure);
  });

  it('aborted execution', () => {
    expect(readExecutionReport({ executionArn: `${EXECUTION_PREFIX}a`, status: 'ABORTED', startDate: START, stopDate: START }).outcome).toBe('aborted');
  });
});

describe('bin/cronlock run and history', () => {
  const cronlock = fileURLToPath(new URL('../../bin/cronlock', import.meta.url));
  const environment = { ...process.env, CRONLOCK_STATE_MACHINE_ARN: '' };

  it('exit 2 without a state machine', async () => {
    for (const command of [['run', 'cron'], ['history']]) {
      const failure = await promisify(execFile)(cronlock, command, { timeout: 60_000, env: environment }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );

      expect(failure.code, command.join(' ')).toBe(EXIT_CODES.usage);
      expect(failure.stderr).toContain('No state machine is set; pass --state-machine-arn');
    }
  });
});
