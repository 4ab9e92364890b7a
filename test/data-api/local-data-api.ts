import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { createDataApiExecutor, type DataApiExecutor } from '../../functions/shared/store/data-api-executor.ts';
import { startLocalDataApi, type LocalDataApi } from '../../local/data-api-server.ts';
import { createTestDatabase } from '../database.ts';

/** A fresh test database served by the local Data API endpoint, and an executor on the real SDK client. */
export interface DataApiFixture {
  readonly databaseUrl: string;
  readonly api: LocalDataApi;
  readonly client: RDSDataClient;
  readonly executor: DataApiExecutor;
  close(): Promise<void>;
}

export async function startDataApiFixture(databaseUrl?: string): Promise<DataApiFixture> {
  const url = databaseUrl ?? (await createTestDatabase('dataapi'));
  const api = await startLocalDataApi({ databaseUrl: url });
  const client = api.createClient();
  const executor = createDataApiExecutor({ resourceArn: api.resourceArn, secretArn: api.secretArn, database: api.database, client });
  return {
    databaseUrl: url,
    api,
    client,
    executor,
    close: async () => {
      await executor.close();
      client.destroy();
      await api.close();
    },
  };
}
