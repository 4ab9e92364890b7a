import { describe, expect, it } from 'vitest';
import { createMysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { createTestDatabase } from '../database.ts';

describe('smoke', () => {
  it('acquires', async () => {
    const executor = createMysqlExecutor(await createTestDatabase());
    const store = new LeaseStore(executor, 'tblcronlock');
    await store.ensureTable();
    await store.insertRow('cron');
    const r = await store.acquire({ lockName: 'cron', owner: 'E1', holdSeconds: 1800 });
    expect(r.acquired).toBe(true);
    await executor.close();
  });
});
