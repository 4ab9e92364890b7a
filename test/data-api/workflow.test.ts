import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeConfig } from '../../functions/shared/config.ts';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { createDataApiExecutor, type DataApiExecutor } from '../../functions/shared/store/data-api-executor.ts';
import { createMysqlExecutor, type MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { startLocalDataApi, type LocalDataApi } from '../../local/data-api-server.ts';
import { LocalEcs, type TaskOutputLine } from '../../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { enteredStates, runLocalExecution, type ExecutionEvent, type LocalRunOptions, type LocalRunResult } from '../../local/runner.ts';
import { createTestDatabase } from '../database.ts';
import { lockStoreRetries, summaryOf } from '../workflow/harness.ts';

/**
 * Every Task state that talks to the lock store retries at once here. The definition's own waits
 * (2 s doubling to 20 s, with full jitter) would make each retried run take up to 150 s.
 */
const NO_RETRY_WAIT = {
  EnsureLockTable: 0,
  InsertLockRow: 0,
  AcquireLock: 0,
  ReleaseLock: 0,
  ReleaseAfterFailure: 0,
  AbandonLease: 0,
};

/** MaxAttempts of the lock store Retry in the definition: retries after the first attempt. */
const LOCK_STORE_RETRIES = lockStoreRetries();

function retriesOf(result: LocalRunResult, stateName: string): ExecutionEvent[] {
  return result.events.filter((event) => event.type === 'StateRetried' && event.state?.name === stateName);
}

function failureNamesOf(result: LocalRunResult, stateName: string): (string | undefined)[] {
  return result.events.filter((event) => event.type === 'StateFailed' && event.state?.name === stateName).map((event) => event.Error);
}

describe('workflow over the RDS Data API', () => {
  let api: LocalDataApi;
  let client: RDSDataClient;
  let executor: DataApiExecutor;
  // Direct connection that reads the lease while the Data API is faulted.
  let direct: MysqlExecutor;
  let store: LeaseStore;
  let config: RuntimeConfig;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase('workflow_data_api');
    api = await startLocalDataApi({ databaseUrl });
    client = api.createClient();
    executor = createDataApiExecutor({ resourceArn: api.resourceArn, secretArn: api.secretArn, database: api.database, client });
    direct = createMysqlExecutor(databaseUrl);
    config = localRuntimeConfig();
    store = new LeaseStore(direct, config.table);
  });

  afterAll(async () => {
    await executor.close();
    client.destroy();
    await api.close();
    await direct.close();
  });

  beforeEach(async () => {
    api.faults.clear();
    await store.ensureTable();
    await direct.execute(`DELETE FROM ${config.table}`);
  });

  function createEcs(taskCommand = 'echo "token=$CRONLOCK_FENCING_TOKEN"'): { ecs: LocalEcs; lines: TaskOutputLine[] } {
    const lines: TaskOutputLine[] = [];
    const ecs = new LocalEcs({ stopGraceSeconds: 1, taskCommand, onOutput: (line) => lines.push(line) });
    return { ecs, lines };
  }

  function run(ecs: LocalEcs, options: Partial<LocalRunOptions> = {}): Promise<LocalRunResult> {
    return runLocalExecution({
      executor,
      config,
      ecs,
      logger: createLogger('SILENT'),
      input: { job: 'cron' },
      retryIntervalOverrides: NO_RETRY_WAIT,
      ...options,
    });
  }

  it('runs the cron once', async () => {
    const callsBefore = api.calls.length;
    const { ecs, lines } = createEcs();

    const result = await run(ecs);

    expect(result.status).toBe('SUCCEEDED');
    const summary = summaryOf(result);
    expect(summary['outcome']).toBe('ran');
    expect(summary['releaseStatus']).toBe('released');
    expect(ecs.tasks).toHaveLength(1);
    expect(lines.map((line) => line.line)).toEqual([`token=${String(summary['fencingToken'])}`]);
    expect(result.events.filter((event) => event.type === 'StateRetried')).toHaveLength(0);
    expect(new Set(api.calls.slice(callsBefore).map((call) => call.outcome))).toEqual(new Set(['succeeded']));
  });

  it('C7: resuming database is retried, then runs', async () => {
    api.faults.failNext('DatabaseResumingException', { count: 3 });
    const { ecs } = createEcs();

    const result = await run(ecs);

    expect(result.status).toBe('SUCCEEDED');
    expect(summaryOf(result)['outcome']).toBe('ran');
    expect(ecs.tasks).toHaveLength(1);
    expect(retriesOf(result, 'EnsureLockTable').map((event) => event.retry?.attempt)).toEqual([1, 2, 3]);
    expect(failureNamesOf(result, 'EnsureLockTable')).toEqual(['DatabaseResumingException', 'DatabaseResumingException', 'DatabaseResumingException']);
    const row = await store.read('cron');
    expect(row?.owner).toBe(result.executionArn);
    expect(row?.fencingToken).toBe(1);
    expect(row?.releasedAt).not.toBeNull();
  });

  it('C7: resume during acquire takes one lease', async () => {
    api.faults.failNext('DatabaseResumingException', { sqlPrefix: 'UPDATE', count: 2 });
    const { ecs, lines } = createEcs();

    const result = await run(ecs);

    expect(result.status).toBe('SUCCEEDED');
    expect(retriesOf(result, 'AcquireLock')).toHaveLength(2);
    expect(retriesOf(result, 'EnsureLockTable')).toHaveLength(0);
    expect(ecs.tasks).toHaveLength(1);
    expect(lines.map((line) => line.line)).toEqual(['token=1']);
    expect((await store.read('cron'))?.fencingToken).toBe(1);
  });

  it('C7: database down for good starts no task', async () => {
    await store.insertRow('cron');
    api.faults.failUntilCleared('DatabaseResumingException');
    const callsBefore = api.calls.length;
    const { ecs } = createEcs();

    const result = await run(ecs);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('LockStoreUnavailable');
    expect(result.cause).toContain('DatabaseResumingException');
    expect(enteredStates(result.events)).toEqual(['ResolveSettings', 'EnsureLockTable', 'LockStoreUnavailable']);
    expect(retriesOf(result, 'EnsureLockTable')).toHaveLength(LOCK_STORE_RETRIES);
    expect(api.calls.slice(callsBefore).map((call) => call.errorName)).toEqual(Array.from({ length: LOCK_STORE_RETRIES + 1 }, () => 'DatabaseResumingException'));
    expect(ecs.tasks).toHaveLength(0);
    const row = await store.read('cron');
    expect(row?.owner).toBeNull();
    expect(row?.fencingToken).toBe(0);
  });

  it('C7: database lost during acquire releases the lease', async () => {
    // The acquire UPDATE commits but its response is lost. Every read-back then fails until the
    // retries run out, and the database is back when AbandonLease releases.
    api.faults.dropAfterCommit({ sqlPrefix: 'UPDATE' });
    api.faults.failNext('DatabaseResumingException', { sqlPrefix: 'SELECT', count: LOCK_STORE_RETRIES });
    const { ecs } = createEcs();

    const result = await run(ecs);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('LockStoreUnavailable');
    expect(enteredStates(result.events)).toEqual(['ResolveSettings', 'EnsureLockTable', 'InsertLockRow', 'AcquireLock', 'AbandonLease', 'Failed']);
    expect(failureNamesOf(result, 'AcquireLock')).toEqual([
      'LockStoreConnectionError',
      ...Array.from({ length: LOCK_STORE_RETRIES }, () => 'DatabaseResumingException'),
    ]);
    expect(ecs.tasks).toHaveLength(0);
    const summary = summaryOf(result);
    expect(summary['cronStarted']).toBe(false);
    expect(summary['releaseStatus']).toBe('released');
    const row = await store.read('cron');
    expect(row?.owner).toBe(result.executionArn);
    expect(row?.releasedAt).not.toBeNull();
    // No cron started, so no minimum hold is kept: the lock is free from the release on.
    expect(row?.lockUntil).toBe(row?.releasedAt);
  });

  it('C8: acquire response lost, cron runs once', async () => {
    api.faults.dropAfterCommit({ sqlPrefix: 'UPDATE' });
    const callsBefore = api.calls.length;
    const { ecs, lines } = createEcs();

    const result = await run(ecs);

    expect(result.status).toBe('SUCCEEDED');
    expect(summaryOf(result)['outcome']).toBe('ran');
    expect(failureNamesOf(result, 'AcquireLock')).toEqual(['LockStoreConnectionError']);
    expect(retriesOf(result, 'AcquireLock')).toHaveLength(1);
    expect(api.calls.slice(callsBefore).filter((call) => call.outcome === 'dropped').map((call) => call.sql)).toEqual([expect.stringMatching(/^UPDATE `tblcronlock`\s+SET owner/)]);
    expect(ecs.tasks).toHaveLength(1);
    expect(summaryOf(result)['fencingToken']).toBe(1);
    expect(lines.map((line) => line.line)).toEqual(['token=1']);
    const row = await store.read('cron');
    expect(row?.fencingToken).toBe(1);
    expect(row?.owner).toBe(result.executionArn);
  });

  it('C8: release response lost, release succeeds', async () => {
    api.faults.dropAfterCommit({ sqlPattern: /SET released_at/ });
    const { ecs } = createEcs();

    const result = await run(ecs);

    expect(result.status).toBe('SUCCEEDED');
    expect(failureNamesOf(result, 'ReleaseLock')).toEqual(['LockStoreConnectionError']);
    expect(retriesOf(result, 'ReleaseLock')).toHaveLength(1);
    const summary = summaryOf(result);
    expect(summary['outcome']).toBe('ran');
    expect(summary['releaseStatus']).toBe('already-released');
    expect(ecs.tasks).toHaveLength(1);
    expect((await store.read('cron'))?.releasedAt).not.toBeNull();
  });

  it('C1: two executions at once run one cron', async () => {
    const { ecs } = createEcs('sleep 0.3');

    const first = run(ecs);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = run(ecs);
    const results = await Promise.all([first, second]);

    expect(results.map((result) => result.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(results.map((result) => summaryOf(result)['outcome']).sort()).toEqual(['ran', 'skipped']);
    expect(ecs.tasks).toHaveLength(1);
    const winner = results.find((result) => summaryOf(result)['outcome'] === 'ran');
    const loser = results.find((result) => summaryOf(result)['outcome'] === 'skipped');
    expect(loser).toBeDefined();
    expect(summaryOf(loser as LocalRunResult)['holder']).toBe(winner?.executionArn);
  });
});
