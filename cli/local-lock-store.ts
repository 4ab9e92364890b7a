import { createDataApiExecutor } from '../functions/shared/store/data-api-executor.ts';
import { createMysqlExecutor } from '../functions/shared/store/mysql-executor.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';
import { startLocalDataApi } from '../local/data-api-server.ts';
import { writeNote } from './output.ts';

/**
 * Runs `work` with an executor on the database: a direct mysql2 pool, or with `dataApi` the real
 * RDS Data API client talking to a local Data API endpoint on loopback over the same database.
 */
export async function withLocalLockStore<T>(databaseUrl: string, dataApi: boolean, work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
  if (!dataApi) {
    const executor = createMysqlExecutor(databaseUrl);
    try {
      return await work(executor);
    } finally {
      await executor.close();
    }
  }

  const endpoint = await startLocalDataApi({ databaseUrl });
  writeNote(`Lock store: RDS Data API client -> local Data API endpoint ${endpoint.endpoint} (${endpoint.resourceArn})`);
  const executor = createDataApiExecutor({
    resourceArn: endpoint.resourceArn,
    secretArn: endpoint.secretArn,
    database: endpoint.database,
    client: endpoint.createClient(),
  });
  try {
    return await work(executor);
  } finally {
    await executor.close();
    await endpoint.close();
  }
}
