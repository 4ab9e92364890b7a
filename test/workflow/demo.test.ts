import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import type { SqlExecutor } from '../../functions/shared/store/sql-executor.ts';
import { DEMO_LOCK_TABLE, runDemo } from '../../local/demo.ts';
import { createTestDatabase } from '../database.ts';
import { summaryOf } from './harness.ts';

describe('demo', () => {
  let databaseUrl: string;
  let executor: SqlExecutor;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('demo');
    executor = createMysqlExecutor(databaseUrl);
  });

  afterAll(async () => {
    await executor.close();
  });

  it('shows duplicates without the lock and none with it', async () => {
    const printed: string[] = [];

    const result = await runDemo({ executor, databaseUrl, table: DEMO_LOCK_TABLE, print: (line) => printed.push(line), workMilliseconds: 1500 });

    expect(result.withoutLock.duplicates).toBeGreaterThan(0);
    expect(result.withLock.duplicates).toBe(0);
    expect(result.withLock.invoices).toBe(result.withLock.services);
    const outcomes = result.executions.map((execution) => summaryOf(execution)['outcome']).sort();
    expect(outcomes).toEqual(['ran', 'skipped', 'skipped']);
    expect(printed.filter((line) => line.includes('states: '))).toHaveLength(3);
    expect(printed.some((line) => line.includes(`Lock row in ${DEMO_LOCK_TABLE}`))).toBe(true);
    const realLockTable = await executor.execute("SHOW TABLES LIKE 'tblcronlock'");
    expect(realLockTable.rows).toHaveLength(0);
  });
});
