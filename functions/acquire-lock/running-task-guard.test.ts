import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { settingsFor } from '../../test/lease/settings-fixture.ts';
import { createTestDatabase } from '../../test/database.ts';
import { CLUSTER, fakeEcsCluster, taskArn, type FakeCluster } from '../../test/reclaim/mock-ecs.ts';
import { LeaseStore } from '../shared/lease/lease-store.ts';
import { createLogger } from '../shared/step-handler.ts';
import { createMysqlExecutor, type MysqlExecutor } from '../shared/store/mysql-executor.ts';
import type { SqlParameters, SqlResult } from '../shared/store/sql-executor.ts';
import { acquireLease } from './acquire.ts';

const E0 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e0-crashed';
const E1 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e1';
const E2 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e2';
const TABLE = 'tblcronlock';

function settingsOf(owner: string) {
  return settingsFor(owner, { minHoldSeconds: 0, task: { ...settingsFor(owner).task, cluster: CLUSTER } });
}

describe('acquireLease with running tasks', () => {
  let executor: MysqlExecutor;
  let store: LeaseStore;
  let statements: string[] = [];
  let cluster: FakeCluster | undefined;
  const logger = createLogger('SILENT');

  beforeAll(async () => {
    executor = createMysqlExecutor(await createTestDatabase('guard'));
    const recording = {
      execute: (sql: string, parameters?: SqlParameters): Promise<SqlResult> => {
        statements.push(sql.trim().split(/\s+/)[0] ?? '');
        return executor.execute(sql, parameters);
      },
      close: () => executor.close(),
    };
    store = new LeaseStore(recording, TABLE);
    await store.ensureTable();
  });

  afterAll(async () => {
    await executor.close();
  });

  beforeEach(async () => {
    await executor.execute(`DELETE FROM ${TABLE}`);
    await store.insertRow('cron');
    statements = [];
  });

  afterEach(() => {
    cluster?.mock.restore();
    vi.restoreAllMocks();
  });

  it('skips for an orphan task without touching the lease', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('orphan'), executionArn: E0 }]);
    const warn = vi.spyOn(logger, 'warn');

    const output = await acquireLease(settingsOf(E1), store, logger, cluster.api);

    expect(output.lease.acquired).toBe(false);
    expect(output.summary.outcome).toBe('skipped');
    expect(output.summary.taskArn).toBe(taskArn('orphan'));
    expect(output.summary.message).toContain(`aws ecs stop-task --cluster ${CLUSTER} --task ${taskArn('orphan')}`);
    expect(output.runningTask).toEqual({
      taskArn: taskArn('orphan'),
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      executionArn: E0,
      startedAt: '2026-12-04T10:01:00.000Z',
      orphan: true,
    });
    expect(statements).toEqual(['SELECT']);
    expect((await store.read('cron'))?.fencingToken).toBe(0);
    expect(warn).toHaveBeenCalledWith('Task of the job still running without a live lease; skipping', expect.objectContaining({ taskArn: taskArn('orphan') }));
  });

  it('skips for the holder task without a warning', async () => {
    await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
    cluster = fakeEcsCluster([{ taskArn: taskArn('holder'), executionArn: E1 }]);
    const warn = vi.spyOn(logger, 'warn');

    const output = await acquireLease(settingsOf(E2), store, logger, cluster.api);

    expect(output.runningTask?.orphan).toBe(false);
    expect(output.summary.holder).toBe(E1);
    expect(output.summary.message).toContain(`held by ${E1}`);
    expect(warn).not.toHaveBeenCalled();
  });

  it('counts a stopping task as running', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('stopping'), executionArn: E0, desiredStatus: 'STOPPED', lastStatus: 'DEACTIVATING' }]);

    const output = await acquireLease(settingsOf(E1), store, logger, cluster.api);

    expect(output.lease.acquired).toBe(false);
    expect(output.runningTask).toMatchObject({ taskArn: taskArn('stopping'), desiredStatus: 'STOPPED', orphan: true });
  });

  it('acquires with only stopped tasks, in two statements', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('old'), executionArn: E0, desiredStatus: 'STOPPED', lastStatus: 'STOPPED' }]);

    const output = await acquireLease(settingsOf(E1), store, logger, cluster.api);

    expect(output.lease.acquired).toBe(true);
    expect(output.runningTask).toBeNull();
    expect(statements).toEqual(['UPDATE', 'SELECT']);
    expect(cluster.calls).toEqual(['ListTasks RUNNING', 'ListTasks STOPPED', `DescribeTasks ${taskArn('old')}`]);
  });

  it('reports an untagged task as an orphan', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('anonymous'), executionArn: null }]);

    const output = await acquireLease(settingsOf(E1), store, logger, cluster.api);

    expect(output.runningTask).toMatchObject({ executionArn: null, orphan: true });
    expect(output.summary.message).toContain('neither the cronlock:execution tag nor the CRONLOCK_OWNER variable');
  });
});
