import type { TestProject } from 'vitest/node';
import { startThrowawayMariadb } from '../local/mariadb.ts';

/**
 * Starts one throwaway MariaDB for the whole test run, unless CRONLOCK_TEST_DATABASE_URL points
 * at a server already running. Test files create their own databases on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env['CRONLOCK_TEST_DATABASE_URL'];
  if (existing) {
    project.provide('databaseUrl', existing);
    return async () => {};
  }
  const server = await startThrowawayMariadb();
  project.provide('databaseUrl', server.url);
  return () => server.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
