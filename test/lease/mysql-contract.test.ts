import { connectMysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { createTestDatabase } from '../database.ts';
import { describeLeaseContract, type LeaseHarness } from './contract.ts';

let databaseUrl: string | undefined;

async function createMysqlHarness(): Promise<LeaseHarness> {
  databaseUrl ??= await createTestDatabase('lease');
  const executor = await connectMysqlExecutor(databaseUrl);
  return {
    executor,
    setDatabaseTime: async (iso) => {
      if (iso === null) {
        await executor.execute('SET timestamp = DEFAULT');
      } else {
        await executor.execute('SET timestamp = :seconds', { seconds: Date.parse(iso) / 1000 });
      }
    },
    close: () => executor.close(),
  };
}

describeLeaseContract('mysql2', createMysqlHarness);
