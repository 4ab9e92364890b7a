import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireLease } from '../../functions/acquire-lock/acquire.ts';
import { createReclaimLeaseHandler } from '../../functions/reclaim-lease/handler.ts';
import type { ReclaimResult } from '../../functions/reclaim-lease/reclaim.ts';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { connectMysqlExecutor, type MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import type { SqlExecutor, SqlParameters, SqlResult } from '../../functions/shared/store/sql-executor.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { createTestDatabase } from '../database.ts';
import { settingsFor } from '../lease/settings-fixture.ts';
import { CLUSTER, fakeEcsCluster, taskArn, type FakeCluster, type FakeTaskOptions } from './mock-ecs.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:cronlock';
const E1 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e1';
const E2 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e2';
const TABLE = 'tblcronlock';
const DAY = '2026-12-04';

function at(time: string): string {
  return `${DAY}T${time}Z`;
}

function stored(time: string): string {
  return `${DAY}T${time}.000000Z`;
}

/** Builds the event that the EventBridge rule delivers for one execution, as Step Functions sends it. */
function statusChange(executionArn: string, status: string, input: unknown = { job: 'cron' }) {
  return {
    version: '0',
    id: '6d1f3b8e-0000-4000-8000-000000000001',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-12-04T10:10:00Z',
    region: 'eu-west-1',
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: STATE_MACHINE,
      name: executionArn.split(':').at(-1),
      status,
      startDate: Date.parse(at('10:00:58')),
      stopDate: Date.parse(at('10:10:00')),
      input: JSON.stringify(input),
      output: null,
      inputDetails: { included: true },
      outputDetails: null,
      error: null,
      cause: null,
    },
  };
}

describe('reclaim lease', () => {
  let connection: MysqlExecutor;
  let store: LeaseStore;
  let cluster: FakeCluster | undefined;
  /** ECS calls and SQL statements, in the order they happened. */
  let calls: string[] = [];
  let clockMilliseconds = 0;
  const config = localRuntimeConfig({ environment: { CRONLOCK_ECS_CLUSTER: CLUSTER } });

  /** One connection, so that `SET timestamp` moves the database clock of every statement. */
  const recording: SqlExecutor = {
    execute: (sql: string, parameters?: SqlParameters): Promise<SqlResult> => {
      calls.push(`SQL ${sql.trim().split(/\s+/)[0] ?? ''}`);
      return connection.execute(sql, parameters);
    },
    close: () => connection.close(),
  };

  async function setDatabaseTime(time: string): Promise<void> {
    await connection.execute('SET timestamp = :seconds', { seconds: Date.parse(at(time)) / 1000 });
    clockMilliseconds = Date.parse(at(time));
  }

  function useCluster(tasks: readonly FakeTaskOptions[]): FakeCluster {
    cluster = fakeEcsCluster(tasks);
    calls = cluster.calls;
    return cluster;
  }

  async function reclaim(event: unknown): Promise<ReclaimResult> {
    const handler = createReclaimLeaseHandler({
      logger: createLogger('SILENT'),
      resources: () => ({ config, executor: recording }),
      ecs: () => (cluster as FakeCluster).api,
      now: () => new Date(clockMilliseconds),
      sleep: (milliseconds) => {
        clockMilliseconds += milliseconds;
        return Promise.resolve();
      },
      checkIntervalMilliseconds: 5000,
    });
    return handler(event, createLambdaContext('reclaim-lease'));
  }

  beforeAll(async () => {
    connection = await connectMysqlExecutor(await createTestDatabase('reclaim'));
    store = new LeaseStore(recording, TABLE);
    await store.ensureTable();
  });

  afterAll(async () => {
    await connection.close();
  });

  beforeEach(async () => {
    await connection.execute('SET timestamp = DEFAULT');
    await connection.execute(`DELETE FROM ${TABLE}`);
    await store.insertRow('cron');
  });

  afterEach(() => {
    cluster?.mock.restore();
    cluster = undefined;
  });

  it('C11: aborted execution frees its lease once its task stopped', async () => {
    await setDatabaseTime('10:01:00');
    const acquired = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    useCluster([{ taskArn: taskArn('e1'), executionArn: E1, startedAt: new Date(at('10:01:01')), describesUntilStopped: 3 }]);

    await setDatabaseTime('10:10:00');
    calls.length = 0;
    const result = await reclaim(statusChange(E1, 'ABORTED'));

    expect(result).toMatchObject({ reclaimed: true, job: 'cron', status: 'ABORTED', fencingToken: acquired.lease.fencingToken, releaseStatus: 'released', stoppedTaskArns: [taskArn('e1')] });
    // The slow stop: three checks until STOPPED, and only then the release.
    expect(calls).toEqual([
      'ListTasks RUNNING',
      'ListTasks STOPPED',
      `DescribeTasks ${taskArn('e1')}`,
      `StopTask ${taskArn('e1')}`,
      `DescribeTasks ${taskArn('e1')}`,
      `DescribeTasks ${taskArn('e1')}`,
      `DescribeTasks ${taskArn('e1')}`,
      'SQL SELECT',
      'SQL UPDATE',
    ]);
    const row = await store.read('cron');
    expect(row?.releasedAt).toBe(stored('10:10:00'));
    // Free at 10:10, not at 10:31: the minimum hold of 240 s ended at 10:05.
    expect(row?.lockUntil).toBe(stored('10:10:00'));
  });

  it('C11: next execution at 10:15 acquires', async () => {
    await setDatabaseTime('10:01:00');
    await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    useCluster([{ taskArn: taskArn('e1'), executionArn: E1, describesUntilStopped: 2 }]);
    await setDatabaseTime('10:10:00');
    await reclaim(statusChange(E1, 'ABORTED'));

    await setDatabaseTime('10:15:00');
    const next = await acquireLease(settingsFor(E2, { task: { ...settingsFor(E2).task, cluster: CLUSTER } }), store, createLogger('SILENT'), (cluster as FakeCluster).api);

    expect(next.lease.acquired).toBe(true);
    expect(next.lease.fencingToken).toBe(2);
    expect(next.runningTask).toBeNull();
  });

  it('same event twice changes nothing more', async () => {
    await setDatabaseTime('10:01:00');
    await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    useCluster([{ taskArn: taskArn('e1'), executionArn: E1, describesUntilStopped: 1 }]);
    await setDatabaseTime('10:10:00');
    await reclaim(statusChange(E1, 'ABORTED'));
    const afterFirst = await store.read('cron');

    await setDatabaseTime('10:10:30');
    const second = await reclaim(statusChange(E1, 'ABORTED'));

    expect(second.reclaimed).toBe(false);
    expect(second.stoppedTaskArns).toEqual([]);
    expect(second.message).toContain('already released');
    expect((cluster as FakeCluster).stopRequests()).toHaveLength(1);
    expect({ ...(await store.read('cron')), databaseTime: null }).toEqual({ ...afterFirst, databaseTime: null });
  });

  it('execution holding nothing changes nothing', async () => {
    await setDatabaseTime('10:01:00');
    await store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 });
    useCluster([{ taskArn: taskArn('e2'), executionArn: E2 }]);
    const before = await store.read('cron');

    const result = await reclaim(statusChange(E1, 'FAILED'));

    expect(result.reclaimed).toBe(false);
    expect(result.message).toContain(`held by ${E2}`);
    expect((cluster as FakeCluster).stopRequests()).toEqual([]);
    expect({ ...(await store.read('cron')), databaseTime: null }).toEqual({ ...before, databaseTime: null });
  });

  it('task that never stops keeps the lease', async () => {
    await setDatabaseTime('10:01:00');
    await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    useCluster([{ taskArn: taskArn('stuck'), executionArn: E1 }]);
    await setDatabaseTime('10:10:00');

    await expect(reclaim(statusChange(E1, 'TIMED_OUT'))).rejects.toMatchObject({ name: 'CronTaskNotStopped' });

    const row = await store.read('cron');
    expect(row?.owner).toBe(E1);
    expect(row?.releasedAt).toBeNull();
    expect(calls.filter((call) => call.startsWith('SQL UPDATE'))).toEqual([]);
  });

  it('expired lease is left as it is', async () => {
    await setDatabaseTime('10:01:00');
    await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    useCluster([]);
    await setDatabaseTime('10:40:00');

    const result = await reclaim(statusChange(E1, 'FAILED'));

    expect(result.reclaimed).toBe(false);
    expect(result.message).toContain('already ended');
    expect((await store.read('cron'))?.releasedAt).toBeNull();
  });

  it('succeeded execution is ignored', async () => {
    useCluster([{ taskArn: taskArn('e1'), executionArn: E1 }]);
    calls.length = 0;

    const result = await reclaim(statusChange(E1, 'SUCCEEDED'));

    expect(result.reclaimed).toBe(false);
    expect(calls).toEqual([]);
  });

  it('invalid input holds nothing and runs no SQL', async () => {
    useCluster([]);
    calls.length = 0;

    const result = await reclaim(statusChange(E1, 'FAILED', { job: 'backup' }));

    expect(result.reclaimed).toBe(false);
    expect(result.message).toContain('invalid');
    expect(calls).toEqual([]);
  });

  it('event of another shape is rejected', async () => {
    useCluster([]);

    await expect(reclaim({ source: 'aws.ecs', 'detail-type': 'ECS Task State Change', detail: {} })).rejects.toMatchObject({ name: 'ParseError' });
  });
});
