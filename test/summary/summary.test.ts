import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { readTaskLogSettings, readTaskTimes, releaseLease, taskLogLocation } from '../../functions/release-lock/release.ts';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { createMysqlExecutor, type MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { summarySchema, type Summary } from '../../functions/shared/workflow-state.ts';
import { LocalEcs } from '../../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { runLocalExecution, type LocalRunResult } from '../../local/runner.ts';
import { settingsFor } from '../lease/settings-fixture.ts';
import { createTestDatabase } from '../database.ts';

const logger = createLogger('SILENT');

/** A failed execution's cause is its summary as JSON, without the `cause` field itself. */
const causeSchema = z.strictObject(z.omit(summarySchema, { cause: true }).shape);

function summaryOf(result: LocalRunResult): Summary | Omit<Summary, 'cause'> {
  if (result.status === 'SUCCEEDED') {
    return z.strictObject(summarySchema.shape).parse((result.output as { summary: unknown }).summary);
  }
  return causeSchema.parse(JSON.parse(result.cause ?? 'null'));
}

describe('execution summary on each path of the local workflow', () => {
  let executor: MysqlExecutor;
  const config = localRuntimeConfig();

  beforeAll(async () => {
    executor = createMysqlExecutor(await createTestDatabase('summary'));
  });

  afterAll(async () => {
    await executor.close();
  });

  const run = (job: string, taskCommand: string, minHoldSeconds = 0) => runLocalExecution({
    input: { job, minHoldSeconds },
    executor,
    config,
    ecs: new LocalEcs({ taskCommand, stopGraceSeconds: 1 }),
    logger,
  });

  it('ran: lease, task, containers and duration', async () => {
    const result = await run('cron', 'exit 0');

    expect(result.status).toBe('SUCCEEDED');
    const summary = summaryOf(result);
    expect(summary.outcome).toBe('ran');
    expect(summary.job).toBe('cron');
    expect(summary.owner).toBe(result.executionArn);
    expect(summary.holder).toBe(result.executionArn);
    expect(summary.fencingToken).toBe(1);
    expect(summary.lockedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(summary.lockUntil).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    // After the release the lock stays taken to the end of the minimum hold (240 s by default).
    expect(Date.parse(summary.lockUntil ?? '') - Date.parse(summary.lockedAt ?? '')).toBe(summary.minHoldSeconds * 1000);
    expect(summary.taskArn).toMatch(/^arn:aws:ecs:us-east-1:000000000000:task\/cronlock-local\/[0-9a-f]+$/);
    expect(summary.cronStarted).toBe(true);
    expect(summary.cronExitCode).toBe(0);
    expect(summary.stopCode).toBe('EssentialContainerExited');
    expect(summary.stoppedReason).toBe('Essential container in task exited');
    expect(summary.containers).toEqual([{ name: 'whmcs', exitCode: 0, reason: null }]);
    expect(summary.taskStartedAt).not.toBeNull();
    expect(summary.taskStoppedAt).not.toBeNull();
    expect(summary.cronDurationSeconds).toBe((Date.parse(summary.taskStoppedAt ?? '') - Date.parse(summary.taskStartedAt ?? '')) / 1000);
    expect(summary.releaseStatus).toBe('released');
    expect(summary.error).toBeNull();
    expect('cause' in summary).toBe(true);
    expect((summary as Summary).cause).toBeNull();
    // Without CRONLOCK_ECS_LOG_GROUP and CRONLOCK_ECS_LOG_STREAM_PREFIX there is no log link.
    expect(summary.logUrl).toBeNull();
    expect(summary.message).toContain('The cron ran');
  });

  it('skipped: names holder, token and lease end', async () => {
    // The holder ran and released, and its 240 s minimum hold keeps the lock taken.
    const holder = await run('pop', 'exit 0', 240);
    const holderSummary = summaryOf(holder);

    const result = await run('pop', 'exit 0');

    expect(result.status).toBe('SUCCEEDED');
    const summary = summaryOf(result);
    expect(summary.outcome).toBe('skipped');
    expect(summary.owner).toBe(result.executionArn);
    expect(summary.holder).toBe(holder.executionArn);
    expect(summary.fencingToken).toBe(holderSummary.fencingToken);
    expect(summary.lockUntil).not.toBeNull();
    expect(summary.message).toContain(holder.executionArn);
    expect(summary.message).toContain(`fencing token ${holderSummary.fencingToken}`);
    expect(summary.message).toContain(summary.lockUntil);
    expect(summary.cronStarted).toBe(false);
    expect(summary.taskArn).toBeNull();
  });

  it('failed: exit code, error and summary as cause', async () => {
    // The first run of "failing" in this database; the job name is configured by CRONLOCK_JOBS below.
    const failingConfig = localRuntimeConfig({
      environment: { CRONLOCK_JOBS: JSON.stringify({ failing: { command: ['php', '-q', 'crons/cron.php'], holdSeconds: 600, minHoldSeconds: 0 } }) },
    });
    const result = await runLocalExecution({
      input: { job: 'failing' },
      executor,
      config: failingConfig,
      ecs: new LocalEcs({ taskCommand: 'exit 3', stopGraceSeconds: 1 }),
      logger,
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CronFailed');
    const summary = summaryOf(result);
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toBe('CronFailed');
    expect(summary.job).toBe('failing');
    expect(summary.cronStarted).toBe(true);
    expect(summary.cronExitCode).toBe(3);
    expect(summary.containers).toEqual([{ name: 'whmcs', exitCode: 3, reason: null }]);
    expect(summary.stopCode).toBe('EssentialContainerExited');
    expect(summary.fencingToken).toBe(1);
    expect(summary.releaseStatus).toBe('released');
    expect(summary.cronDurationSeconds).not.toBeNull();
    expect(summary.message).toContain('exited with code 3');
    // The cause is the summary itself, without a nested cause.
    expect('cause' in summary).toBe(false);
  });
});

describe('releaseLease summary', () => {
  let executor: MysqlExecutor;
  let store: LeaseStore;

  beforeAll(async () => {
    executor = createMysqlExecutor(await createTestDatabase('summary_release'));
    store = new LeaseStore(executor, 'tblcronlock');
    await store.ensureTable();
    await store.insertRow('cron');
  });

  afterAll(async () => {
    await executor.close();
  });

  it('links the task log stream', async () => {
    const owner = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:log-link';
    const settings = settingsFor(owner);
    const { lease } = await store.acquire({ lockName: 'cron', owner, holdSeconds: 1800 });
    const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/whmcs/0123456789abcdef0123456789abcdef';
    const logSettings = readTaskLogSettings({ CRONLOCK_ECS_LOG_GROUP: '/ecs/whmcs', CRONLOCK_ECS_LOG_STREAM_PREFIX: 'cron', AWS_REGION: 'eu-west-1' }).settings;

    const output = await releaseLease({
      settings,
      lease: { acquired: true, holder: owner, fencingToken: lease.fencingToken, lockedAt: lease.lockedAt, lockUntil: lease.lockUntil, releasedAt: null, databaseTime: lease.databaseTime, runTimeoutSeconds: 1700 },
      task: {
        TaskArn: taskArn,
        StartedAt: 1_796_000_000_000,
        StoppedAt: 1_796_000_042_500,
        StopCode: 'EssentialContainerExited',
        StoppedReason: 'Essential container in task exited',
        Containers: [{ Name: 'whmcs', ExitCode: 0 }, { Name: 'log_router', ExitCode: 0 }],
      },
    }, store, logger, logSettings);

    const summary = summarySchema.parse(output.summary);
    expect(summary.outcome).toBe('ran');
    expect(summary.logGroup).toBe('/ecs/whmcs');
    expect(summary.logStream).toBe('cron/whmcs/0123456789abcdef0123456789abcdef');
    expect(summary.logUrl).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fwhmcs/log-events/cron$252Fwhmcs$252F0123456789abcdef0123456789abcdef',
    );
    expect(summary.taskStartedAt).toBe('2026-11-30T00:53:20.000Z');
    expect(summary.taskStoppedAt).toBe('2026-11-30T00:54:02.500Z');
    expect(summary.cronDurationSeconds).toBe(42.5);
    expect(summary.containers).toHaveLength(2);
  });

  it('names the new holder when the lease was lost', async () => {
    const owner = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:lost';
    const thief = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:thief';
    await executor.execute("UPDATE tblcronlock SET lock_until = UTC_TIMESTAMP(6) WHERE lock_name = 'cron'");
    const first = await store.acquire({ lockName: 'cron', owner, holdSeconds: 1800 });
    await executor.execute("UPDATE tblcronlock SET lock_until = UTC_TIMESTAMP(6) WHERE lock_name = 'cron'");
    const second = await store.acquire({ lockName: 'cron', owner: thief, holdSeconds: 1800 });
    expect(second.acquired).toBe(true);

    const output = await releaseLease({
      settings: settingsFor(owner),
      lease: { acquired: true, holder: owner, fencingToken: first.lease.fencingToken, lockedAt: first.lease.lockedAt, lockUntil: first.lease.lockUntil, releasedAt: null, databaseTime: first.lease.databaseTime, runTimeoutSeconds: 1700 },
      task: { TaskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/whmcs/feed', Containers: [{ Name: 'whmcs', ExitCode: 0 }] },
    }, store, logger);

    expect(output.summary.releaseStatus).toBe('lost');
    expect(output.summary.message).toContain(thief);
    expect(output.summary.message).toContain(`fencing token ${second.lease.fencingToken}`);
    expect(output.summary.logUrl).toBeNull();
  });
});

describe('task log settings', () => {
  it('none without both settings', () => {
    expect(readTaskLogSettings({})).toEqual({ settings: null, problem: null });
  });

  it('problem when only one is set', () => {
    const reading = readTaskLogSettings({ CRONLOCK_ECS_LOG_GROUP: '/ecs/whmcs' });

    expect(reading.settings).toBeNull();
    expect(reading.problem).toContain('CRONLOCK_ECS_LOG_STREAM_PREFIX is not set');
  });

  it('problem for an invalid log group', () => {
    const reading = readTaskLogSettings({ CRONLOCK_ECS_LOG_GROUP: 'bad group!', CRONLOCK_ECS_LOG_STREAM_PREFIX: 'cron' });

    expect(reading.settings).toBeNull();
    expect(reading.problem).toContain('is not a valid log group name');
  });

  it('console host follows the partition', () => {
    const settings = { logGroup: 'whmcs', streamPrefix: 'cron', region: null };

    const location = taskLogLocation(settings, 'arn:aws-cn:ecs:cn-north-1:123456789012:task/whmcs/abc', 'whmcs');

    expect(location?.logUrl).toBe('https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:log-groups/log-group/whmcs/log-events/cron$252Fwhmcs$252Fabc');
  });

  it('no link for a task ARN of another form', () => {
    expect(taskLogLocation({ logGroup: 'whmcs', streamPrefix: 'cron', region: 'eu-west-1' }, 'not-an-arn', 'whmcs')).toBeNull();
  });
});

describe('readTaskTimes', () => {
  it('reads epoch milliseconds and ISO text', () => {
    expect(readTaskTimes({ StartedAt: 1_000, StoppedAt: 3_500 }, undefined)).toEqual({
      taskStartedAt: '1970-01-01T00:00:01.000Z',
      taskStoppedAt: '1970-01-01T00:00:03.500Z',
      cronDurationSeconds: 2.5,
    });
    expect(readTaskTimes({ startedAt: '2026-12-04T10:00:00.000Z', stoppedAt: '2026-12-04T10:01:00.000Z' }, undefined).cronDurationSeconds).toBe(60);
  });

  it('prefers the cause of a TaskFailed error', () => {
    const cause = JSON.stringify({ StartedAt: 10_000, StoppedAt: 20_000 });

    const times = readTaskTimes({ startedAt: '1970-01-01T00:00:00.000Z' }, { Error: 'States.TaskFailed', Cause: cause });

    expect(times.cronDurationSeconds).toBe(10);
  });

  it('falls back to the stopped task after a timeout', () => {
    const times = readTaskTimes({ startedAt: '2026-12-04T10:00:00.000Z', stoppedAt: '2026-12-04T10:29:00.000Z' }, { Error: 'States.Timeout', Cause: 'timed out' });

    expect(times.cronDurationSeconds).toBe(1740);
  });

  it('nulls without a start', () => {
    expect(readTaskTimes(null, undefined)).toEqual({ taskStartedAt: null, taskStoppedAt: null, cronDurationSeconds: null });
  });
});
