import { createDataApiExecutor } from '../../functions/shared/store/data-api-executor.ts';
import { startLocalDataApi } from '../../local/data-api-server.ts';
import { createTestDatabase } from '../database.ts';
import { describeLeaseContract, type LeaseHarness } from './contract.ts';

let databaseUrl: string | undefined;

/**
 * Starts a local Data API endpoint of its own over the shared test database, so that its database
 * clock is its own, as a session's is in the mysql2 harness. Statements go through the real SDK
 * client and the Data API executor.
 */
async function createDataApiHarness(): Promise<LeaseHarness> {
  databaseUrl ??= await createTestDatabase('lease_data_api');
  const api = await startLocalDataApi({ databaseUrl });
  const client = api.createClient();
  const executor = createDataApiExecutor({ resourceArn: api.resourceArn, secretArn: api.secretArn, database: api.database, client });
  return {
    executor,
    setDatabaseTime: (iso) => api.setDatabaseTime(iso),
    close: async () => {
      await executor.close();
      client.destroy();
      await api.close();
    },
  };
}

describeLeaseContract('RDS Data API', createDataApiHarness);
