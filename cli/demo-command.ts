import type { Command } from 'commander';
import { createMysqlExecutor } from '../functions/shared/store/mysql-executor.ts';
import { DEFAULT_TABLE_NAME } from '../functions/shared/lease/lease-sql.ts';
import { runDemo } from '../local/demo.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { withLocalDatabase } from './local-database.ts';
import { reserveStdoutForResult, writeResult } from './output.ts';

/** Adds `cronlock demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('show duplicate invoices from overlapping crons, then the same cron run under cronlock')
    .option('--database-url <url>', 'MySQL or MariaDB to use (its demo_* tables are replaced); default: a throwaway MariaDB')
    .option('--table <name>', 'lock table name', DEFAULT_TABLE_NAME)
    .option('--work-seconds <seconds>', 'how long each demo cron works before writing invoices', '3')
    .action(async (options: { databaseUrl?: string; table: string; workSeconds: string }) => {
      reserveStdoutForResult();
      const result = await withLocalDatabase(options.databaseUrl, async (databaseUrl) => {
        const executor = createMysqlExecutor(databaseUrl);
        try {
          return await runDemo({
            executor,
            databaseUrl,
            table: options.table,
            print: writeResult,
            workMilliseconds: Number(options.workSeconds) * 1000,
          });
        } finally {
          await executor.close();
        }
      });
      const ran = result.executions.filter((execution) => (execution.output as { summary?: { outcome?: string } } | null)?.summary?.outcome === 'ran');
      writeResult('');
      writeResult(`Result: ${ran.length} of ${result.executions.length} executions ran the cron; ${result.withLock.duplicates} duplicate invoices with cronlock, ${result.withoutLock.duplicates} without.`);
      const healthy = ran.length === 1 && result.withLock.duplicates === 0;
      process.exitCode = healthy ? EXIT_CODES.success : EXIT_CODES.failure;
    });
}
