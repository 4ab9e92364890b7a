import type { Command } from 'commander';
import { DEMO_LOCK_TABLE, runDemo } from '../local/demo.ts';
import { CliError, EXIT_CODES } from './exit-codes.ts';
import { withLocalDatabase } from './local-database.ts';
import { withLocalLockStore } from './local-lock-store.ts';
import { reserveStdoutForResult, writeResult } from './output.ts';

/** Adds `cronlock demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('show duplicate invoices from overlapping crons, then the same cron run under cronlock')
    .option('--database-url <url>', 'MySQL or MariaDB to use; the demo replaces its demo_services and demo_invoices tables and adds cronlock_local_executions; default: a throwaway MariaDB')
    .option('--table <name>', 'lock table name, kept apart from the real lock table so the demo never takes a production lock', DEMO_LOCK_TABLE)
    .option('--data-api', 'reach the lock table through the RDS Data API client and a local Data API endpoint, as in AWS')
    .option('--work-seconds <seconds>', 'how long each demo cron works before writing invoices', '3')
    .action(async (options: { databaseUrl?: string; table: string; workSeconds: string; dataApi?: boolean }) => {
      reserveStdoutForResult();
      const workSeconds = Number(options.workSeconds);
      if (!Number.isFinite(workSeconds) || workSeconds < 0 || workSeconds > 600) {
        throw new CliError(`--work-seconds must be a number from 0 to 600, got "${options.workSeconds}"`);
      }
      const result = await withLocalDatabase(options.databaseUrl, (databaseUrl) =>
        withLocalLockStore(databaseUrl, options.dataApi === true, (executor) => runDemo({
          executor,
          databaseUrl,
          table: options.table,
          print: writeResult,
          workMilliseconds: workSeconds * 1000,
        })));
      const ran = result.executions.filter((execution) => (execution.output as { summary?: { outcome?: string } } | null)?.summary?.outcome === 'ran');
      writeResult('');
      writeResult(`Result: ${ran.length} of ${result.executions.length} executions ran the cron; ${result.withLock.duplicates} duplicate invoices with cronlock, ${result.withoutLock.duplicates} without.`);
      const healthy = ran.length === 1 && result.withLock.duplicates === 0;
      process.exitCode = healthy ? EXIT_CODES.success : EXIT_CODES.failure;
    });
}
