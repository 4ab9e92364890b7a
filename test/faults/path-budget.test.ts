import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { createMysqlExecutor, type MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import type { SqlExecutor, SqlParameters, SqlResult } from '../../functions/shared/store/sql-executor.ts';
import { LocalEcs } from '../../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { enteredStates, runLocalExecution, type LocalRunOptions } from '../../local/runner.ts';
import { createTestDatabase } from '../database.ts';

/**
 * The check for running tasks costs ECS calls only: the ran path stays at 7 states and 5 SQL
 * statements, the skipped path at 6 states.
 */
const SKIPPED_PATH = ['ResolveSettings', 'EnsureLockTable', 'InsertLockRow', 'AcquireLock', 'IsLeaseAcquired', 'Skipped'];

describe('path budget', () => {
  let executor: MysqlExecutor;
  const statements: string[] = [];
  const recording: SqlExecutor = {
    execute: (sql: string, parameters?: SqlParameters): Promise<SqlResult> => {
      statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
      return executor.execute(sql, parameters);
    },
    close: () => executor.close(),
  };
  const config = localRuntimeConfig();

  function run(ecs: LocalEcs, options: Partial<LocalRunOptions> = {}) {
    return runLocalExecution({ executor: recording, config, ecs, logger: createLogger('SILENT'), input: { minHoldSeconds: 0 }, ...options });
  }

  beforeAll(async () => {
    executor = createMysqlExecutor(await createTestDatabase('budget'));
  });

  afterAll(async () => {
    await executor.close();
  });

  it('ran path: 7 states, 5 statements', async () => {
    const ecs = new LocalEcs({ stopGraceSeconds: 1, taskCommand: 'true' });
    statements.length = 0;

    const result = await run(ecs);

    expect(enteredStates(result.events)).toEqual(['ResolveSettings', 'EnsureLockTable', 'InsertLockRow', 'AcquireLock', 'IsLeaseAcquired', 'RunCron', 'ReleaseLock']);
    expect(statements).toEqual(['CREATE TABLE', 'INSERT IGNORE', 'UPDATE `tblcronlock`', 'SELECT lock_name,', 'UPDATE `tblcronlock`']);
  });

  it('busy lease skip: 6 states', async () => {
    const store = new LeaseStore(executor, config.table);
    await store.acquire({ lockName: 'cron', owner: 'arn:aws:states:us-east-1:000000000000:execution:cronlock-local:holder', holdSeconds: 600 });
    const ecs = new LocalEcs({ stopGraceSeconds: 1, taskCommand: 'true' });
    statements.length = 0;

    const result = await run(ecs);

    expect(enteredStates(result.events)).toEqual(SKIPPED_PATH);
    expect(statements).toEqual(['CREATE TABLE', 'INSERT IGNORE', 'UPDATE `tblcronlock`', 'SELECT lock_name,']);
    await executor.execute(`DELETE FROM ${config.table}`);
  });

  it('running task skip: 6 states, no UPDATE', async () => {
    const ecs = new LocalEcs({ stopGraceSeconds: 1, taskCommand: 'sleep 30' });
    // A task of the job that no execution holds a lease for.
    const orphan = ecs.runTaskSync({
      Cluster: config.task.cluster,
      TaskDefinition: config.task.taskDefinition,
      StartedBy: 'cronlock/cron',
      Overrides: { ContainerOverrides: [{ Name: 'whmcs', Environment: [] }] },
    }).catch((error: unknown) => error);
    const [orphanTask] = ecs.runningTasks();
    statements.length = 0;

    const result = await run(ecs);

    expect(enteredStates(result.events)).toEqual(SKIPPED_PATH);
    expect(statements).toEqual(['CREATE TABLE', 'INSERT IGNORE', 'SELECT lock_name,']);
    expect((result.output as { runningTask: { orphan: boolean; taskArn: string } }).runningTask).toMatchObject({ orphan: true, taskArn: orphanTask?.taskArn });
    await ecs.stopTask({ task: orphanTask?.taskArn, reason: 'test done' });
    await orphan;
  });
});
