import { MARIADB_MISSING_MESSAGE, startThrowawayMariadb } from '../local/mariadb.ts';
import { CliError, EXIT_CODES } from './exit-codes.ts';
import { writeNote } from './output.ts';

/**
 * Runs `work` with the given database URL, or with a throwaway MariaDB started for it and removed
 * afterwards, also when `work` fails or the user presses Ctrl-C.
 */
export async function withLocalDatabase<T>(databaseUrl: string | undefined, work: (url: string) => Promise<T>): Promise<T> {
  if (databaseUrl !== undefined) {
    return work(databaseUrl);
  }
  let server;
  try {
    server = await startThrowawayMariadb();
  } catch (error) {
    const message = (error as Error).message;
    throw new CliError(message === MARIADB_MISSING_MESSAGE ? message : `Could not start a throwaway MariaDB: ${message}`, EXIT_CODES.usage);
  }
  writeNote(`Started a throwaway MariaDB in ${server.directory} (removed on exit).`);
  const stopOnSignal = () => {
    void server.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    return await work(server.url);
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await server.stop();
  }
}
