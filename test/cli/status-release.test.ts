import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { resolveSettings } from '../../functions/shared/settings.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { createDataApiExecutor } from '../../functions/shared/store/data-api-executor.ts';
import { createMysqlExecutor, type MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { releaseLock, type ReleaseDependencies } from '../../cli/commands/release.ts';
import { readStatus, renderStatus } from '../../cli/commands/status.ts';
import { CliError, EXIT_CODES } from '../../cli/exit-codes.ts';
import { describeLockStatus } from '../../cli/lease-admin.ts';
import { startedByFor } from '../../cli/running-tasks.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { createTestDatabase } from '../database.ts';

const execFileAsync = promisify(execFile);
const CRONLOCK = fileURLToPath(new URL('../../bin/cronlock', import.meta.url));

const E1 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e1';
const E2 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e2';
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/whmcs/0123456789abcdef0123456789abcdef';
/** Only the job settings: the CLI reads no other deploy setting. */
const ENVIRONMENT = {};

const ecsMock = mockClient(ECSClient);

interface Fixture {
  readonly databaseUrl: string;
  readonly executor: MysqlExecutor;
  readonly store: LeaseStore;
}

async function createFixture(prefix: string): Promise<Fixture> {
  const databaseUrl = await createTestDatabase(prefix);
  const executor = createMysqlExecutor(databaseUrl);
  const store = new LeaseStore(executor, 'tblcronlock');
  await store.ensureTable();
  await store.insertRow('cron');
  return { databaseUrl, executor, store };
}

/** Moves the lease end to the database's now, so that the next acquire takes it. */
async function expireLease(executor: MysqlExecutor, job: string): Promise<void> {
  await executor.execute('UPDATE tblcronlock SET lock_until = UTC_TIMESTAMP(6) WHERE lock_name = :job', { job });
}

function dependencies(extra: Partial<ReleaseDependencies> = {}): ReleaseDependencies {
  return {
    environment: ENVIRONMENT,
    operator: () => ({ user: 'alice', host: 'ops-host' }),
    logger: createLogger('SILENT'),
    createEcsClient: () => new ECSClient({ region: 'eu-west-1' }),
    ...extra,
  };
}

async function cronlock(args: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(CRONLOCK, [...args], { timeout: 60_000, env: { ...process.env, CRONLOCK_ECS_CLUSTER: '' } });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeEach(() => {
  ecsMock.reset();
});

describe('status', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await createFixture('cli_status');
  });

  afterAll(async () => {
    await fixture.executor.close();
  });

  it('every job without a table', async () => {
    const databaseUrl = await createTestDatabase('cli_status_empty');

    const result = await readStatus(undefined, { databaseUrl }, { environment: ENVIRONMENT });

    expect(result.locks.map((lock) => [lock.job, lock.state])).toEqual([['cron', 'no-row'], ['pop', 'no-row']]);
  });

  it('held lease from database time', async () => {
    const { lease } = await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });

    const result = await readStatus('cron', { databaseUrl: fixture.databaseUrl }, { environment: ENVIRONMENT });

    expect(result.locks).toHaveLength(1);
    const status = result.locks[0];
    expect(status?.state).toBe('held');
    expect(status?.holder).toBe(E1);
    expect(status?.fencingToken).toBe(lease.fencingToken);
    expect(status?.lockUntil).toBe(lease.lockUntil);
    expect(status?.releasedAt).toBeNull();
    expect(status?.databaseTime).not.toBeNull();
    // Time left is lease end minus the database time of the same read, not the local clock.
    expect(status?.timeLeftSeconds).toBe((Date.parse(status?.lockUntil ?? '') - Date.parse(status?.databaseTime ?? '')) / 1000);
    expect(status?.timeLeftSeconds).toBeGreaterThan(1700);
    expect(status?.timeLeftSeconds).toBeLessThanOrEqual(1800);
  });

  it('rows of unconfigured jobs too', async () => {
    await fixture.store.insertRow('legacy');

    const result = await readStatus(undefined, { databaseUrl: fixture.databaseUrl }, { environment: ENVIRONMENT });

    expect(result.locks.map((lock) => [lock.job, lock.configured])).toEqual([['cron', true], ['pop', true], ['legacy', false]]);
    expect(result.locks.find((lock) => lock.job === 'legacy')?.state).toBe('free');
    expect(renderStatus(result)).toContain('legacy (not configured)');
  });

  it('jobs from CRONLOCK_JOBS', async () => {
    const environment = { CRONLOCK_JOBS: JSON.stringify({ billing: { command: ['php', 'billing.php'] } }) };

    const result = await readStatus(undefined, { databaseUrl: fixture.databaseUrl }, { environment });

    expect(result.locks.map((lock) => lock.job)).toEqual(['billing', 'cron', 'legacy']);
  });

  it('rejects a bad job name', async () => {
    await expect(readStatus('Cron;drop', { databaseUrl: fixture.databaseUrl }, { environment: ENVIRONMENT })).rejects.toThrow(CliError);
  });

  it('names the settings when none is given', async () => {
    const promise = readStatus(undefined, {}, { environment: ENVIRONMENT });

    await expect(promise).rejects.toThrow(/--database-url/);
    await expect(promise).rejects.toThrow(/--cluster-arn/);
  });

  it('reads over the Data API', async () => {
    const rdsMock = mockClient(RDSDataClient);
    rdsMock.on(ExecuteStatementCommand).callsFake((input: { sql: string }) => {
      if (input.sql.includes('information_schema')) {
        return { records: [[{ longValue: 1 }]], columnMetadata: [{ label: 'table_count' }] };
      }
      if (input.sql.startsWith('SELECT lock_name FROM')) {
        return { records: [[{ stringValue: 'cron' }]], columnMetadata: [{ label: 'lock_name' }] };
      }
      return {
        records: [[
          { stringValue: 'cron' }, { stringValue: E1 }, { longValue: 7 }, { stringValue: '2026-12-04 10:00:00' },
          { stringValue: '2026-12-04 10:30:00' }, { isNull: true }, { stringValue: '2026-12-04 10:05:00.5' }, { longValue: 0 },
        ]],
        columnMetadata: ['lock_name', 'owner', 'fencing_token', 'locked_at', 'lock_until', 'released_at', 'database_time', 'held_by_owner'].map((label) => ({ label })),
      };
    });
    const clusterArn = 'arn:aws:rds:eu-west-1:123456789012:cluster:whmcs';
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:whmcs-db-AbCdEf';
    const client = new RDSDataClient({ region: 'eu-west-1' });

    try {
      const result = await readStatus('cron', { clusterArn, secretArn, database: 'whmcs' }, {
        environment: ENVIRONMENT,
        openExecutor: () => createDataApiExecutor({ resourceArn: clusterArn, secretArn, database: 'whmcs', client }),
      });

      expect(result.locks[0]).toMatchObject({ state: 'held', holder: E1, fencingToken: 7, timeLeftSeconds: 1499.5 });
      expect(result.lockStore).toContain(clusterArn);
      const calls = rdsMock.commandCalls(ExecuteStatementCommand);
      expect(calls.every((call) => call.args[0].input.resourceArn === clusterArn && call.args[0].input.database === 'whmcs')).toBe(true);
    } finally {
      rdsMock.restore();
    }
  });

  it('bin/cronlock status --json', async () => {
    const result = await cronlock(['status', 'cron', '--database-url', fixture.databaseUrl, '--json']);

    expect(result.exitCode).toBe(0);
    const output = JSON.parse(result.stdout) as { locks: { job: string; state: string }[] };
    expect(output.locks).toEqual([expect.objectContaining({ job: 'cron', state: 'held' })]);
  });
});

describe('describeLockStatus', () => {
  const row = (overrides: Record<string, unknown>) => ({
    lockName: 'cron', owner: E1, fencingToken: 3, lockedAt: '2026-12-04T10:00:00.000000Z', lockUntil: '2026-12-04T10:30:00.000000Z',
    releasedAt: null, databaseTime: '2026-12-04T10:29:59.999999Z', heldByOwner: false, ...overrides,
  });

  it('held until the last microsecond', () => {
    const status = describeLockStatus('cron', true, row({}));

    expect(status.state).toBe('held');
    expect(status.timeLeftSeconds).toBe(0.001);
  });

  it('expired at lease end', () => {
    const status = describeLockStatus('cron', true, row({ databaseTime: '2026-12-04T10:30:00.000000Z' }));

    expect(status.state).toBe('expired');
    expect(status.holder).toBeNull();
    expect(status.timeLeftSeconds).toBe(0);
  });

  it('minimum hold after release', () => {
    expect(describeLockStatus('cron', true, row({ releasedAt: '2026-12-04T10:01:00.000000Z' })).state).toBe('min-hold');
  });

  it('free after release and hold', () => {
    expect(describeLockStatus('cron', true, row({ releasedAt: '2026-12-04T10:01:00.000000Z', databaseTime: '2026-12-04T10:31:00.000000Z' })).state).toBe('free');
  });

  it('free when never taken', () => {
    const status = describeLockStatus('cron', true, row({ owner: null, lockedAt: null, lockUntil: null, fencingToken: 0 }));

    expect(status.state).toBe('free');
    expect(status.fencingToken).toBeNull();
  });
});

describe('release', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await createFixture('cli_release');
  });

  afterAll(async () => {
    await fixture.executor.close();
  });

  afterEach(async () => {
    await expireLease(fixture.executor, 'cron');
  });

  it('frees a held lease and keeps the token', async () => {
    const { lease } = await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });

    const { result, exitCode } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    expect(exitCode).toBe(EXIT_CODES.success);
    expect(result.status).toBe('released');
    expect(result.releasedBy).toEqual({ user: 'alice', host: 'ops-host' });
    expect(result.previous.owner).toBe(E1);
    expect(result.previous.fencingToken).toBe(lease.fencingToken);
    expect(result.current.state).toBe('free');
    expect(result.current.fencingToken).toBe(lease.fencingToken);
    expect(result.current.releasedAt).not.toBeNull();
    // lock_until is the database time of the release, before the lease would have ended.
    expect((result.current.lockUntil ?? '') < (lease.lockUntil ?? '')).toBe(true);
    const next = await fixture.store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 });
    expect(next.acquired).toBe(true);
    expect(next.lease.fencingToken).toBe(lease.fencingToken + 1);
  });

  it('asks ECS for tasks of the job', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });

    await releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    const requests = ecsMock.commandCalls(ListTasksCommand).map((call) => call.args[0].input);
    expect(requests).toEqual([
      { cluster: 'whmcs', startedBy: 'cronlock/cron', desiredStatus: 'RUNNING', maxResults: 100, nextToken: undefined },
      { cluster: 'whmcs', startedBy: 'cronlock/cron', desiredStatus: 'STOPPED', maxResults: 100, nextToken: undefined },
    ]);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it('refuses while a task runs', async () => {
    const { lease } = await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    ecsMock.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [TASK_ARN] });
    ecsMock.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }] });

    const { result, exitCode } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    expect(exitCode).toBe(EXIT_CODES.lockBusy);
    expect(result.status).toBe('refused');
    expect(result.runningTasks.map((task) => task.taskArn)).toEqual([TASK_ARN]);
    expect(result.reason).toContain(TASK_ARN);
    expect(result.reason).toContain('--force');
    expect(ecsMock.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toEqual({ cluster: 'whmcs', tasks: [TASK_ARN], include: ['TAGS'] });
    const row = await fixture.store.read('cron');
    expect(row?.owner).toBe(E1);
    expect(row?.lockUntil).toBe(lease.lockUntil);
    expect(row?.releasedAt).toBeNull();
  });

  it('refuses while a task is stopping', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    ecsMock.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [] });
    ecsMock.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [TASK_ARN] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'DEPROVISIONING', desiredStatus: 'STOPPED' }] });

    const { result, exitCode } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    expect(exitCode).toBe(EXIT_CODES.lockBusy);
    expect(result.status).toBe('refused');
    expect(result.runningTasks[0]?.lastStatus).toBe('DEPROVISIONING');
  });

  it('ignores stopped tasks', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    ecsMock.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [] });
    ecsMock.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [TASK_ARN] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }] });

    const { result, exitCode } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    expect(exitCode).toBe(EXIT_CODES.success);
    expect(result.status).toBe('released');
  });

  it('force skips the task check', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });

    const { result, exitCode } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl, force: true }, dependencies());

    expect(exitCode).toBe(EXIT_CODES.success);
    expect(result.status).toBe('released');
    expect(result.forced).toBe(true);
    expect(result.cluster).toBeNull();
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('refuses without a cluster', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });

    const promise = releaseLock('cron', { databaseUrl: fixture.databaseUrl }, dependencies());

    await expect(promise).rejects.toThrow(CliError);
    await expect(promise).rejects.toThrow(/no ECS cluster is set.*--cluster.*--force/);
    await expect(promise).rejects.toMatchObject({ exitCode: EXIT_CODES.usage });
    expect((await fixture.store.read('cron'))?.releasedAt).toBeNull();
  });

  it('cluster from CRONLOCK_ECS_CLUSTER', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });

    const { result } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl }, dependencies({ environment: { CRONLOCK_ECS_CLUSTER: 'whmcs-prod' } }));

    expect(result.cluster).toBe('whmcs-prod');
    expect(ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input.cluster).toBe('whmcs-prod');
  });

  it('never undoes a concurrent acquire', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    // ListTasks is the last call before the release statement: E1's lease ends and E2 takes it there.
    ecsMock.on(ListTasksCommand).callsFake(async () => {
      await expireLease(fixture.executor, 'cron');
      await fixture.store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 });
      return { taskArns: [] };
    });

    const { result, exitCode } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    expect(exitCode).toBe(EXIT_CODES.lockBusy);
    expect(result.status).toBe('changed');
    expect(result.reason).toContain(E2);
    const row = await fixture.store.read('cron', E2);
    expect(row?.owner).toBe(E2);
    expect(row?.heldByOwner).toBe(true);
    expect(row?.releasedAt).toBeNull();
  });

  it('nothing to do when expired', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    await expireLease(fixture.executor, 'cron');

    const { result, exitCode } = await releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    expect(exitCode).toBe(EXIT_CODES.success);
    expect(result.status).toBe('already-free');
    expect(result.previous.state).toBe('expired');
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('rejects a job without a row', async () => {
    await expect(releaseLock('billing', { databaseUrl: fixture.databaseUrl, force: true }, dependencies())).rejects.toThrow(/has no row/);
  });

  it('ECS credentials error says what to set', async () => {
    await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    const error = new Error('Could not load credentials from any providers');
    error.name = 'CredentialsProviderError';
    ecsMock.on(ListTasksCommand).rejects(error);

    const promise = releaseLock('cron', { databaseUrl: fixture.databaseUrl, cluster: 'whmcs' }, dependencies());

    await expect(promise).rejects.toThrow(/AWS_PROFILE/);
    await expect(promise).rejects.toMatchObject({ exitCode: EXIT_CODES.usage });
  });

  it('startedBy matches what the workflow sets', () => {
    const settings = resolveSettings({ job: 'pop' }, { id: E1, name: 'e1' }, localRuntimeConfig());

    expect(startedByFor('pop')).toBe(settings.task.startedBy);
  });

  it('bin/cronlock release logs who released', async () => {
    const { lease } = await fixture.store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });

    const refused = await cronlock(['release', 'cron', '--database-url', fixture.databaseUrl]);
    const released = await cronlock(['release', 'cron', '--database-url', fixture.databaseUrl, '--force', '--json']);

    expect(refused.exitCode).toBe(EXIT_CODES.usage);
    expect(refused.stderr).toContain('no ECS cluster is set');
    expect(released.exitCode).toBe(EXIT_CODES.success);
    const output = JSON.parse(released.stdout) as { status: string; releasedBy: { user: string; host: string }; previous: { owner: string; fencingToken: number } };
    expect(output.status).toBe('released');
    expect(output.previous).toMatchObject({ owner: E1, fencingToken: lease.fencingToken });
    expect(output.releasedBy.host).not.toBe('');
    const logLine = released.stderr.split('\n').find((line) => line.includes('Lock released by an operator'));
    expect(JSON.parse(logLine ?? '{}')).toMatchObject({ job: 'cron', previousOwner: E1, fencingToken: lease.fencingToken, operatorUser: output.releasedBy.user });
  });
});
