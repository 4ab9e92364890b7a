/**
 * A stand-in for WHMCS `crons/cron.php` in the demo: like the real invoice run it is not
 * idempotent. It reads the services that are due, works for a few seconds, then creates one
 * invoice per service it read and moves each service's next due date. Two copies that overlap
 * both read the same due services and so create duplicate invoices.
 *
 * Reads DEMO_DATABASE_URL; prints one line per invoice. DEMO_WORK_MILLISECONDS sets the work time.
 */
import { createMysqlExecutor } from '../functions/shared/store/mysql-executor.ts';

const databaseUrl = process.env['DEMO_DATABASE_URL'];
if (!databaseUrl) {
  process.stderr.write('DEMO_DATABASE_URL is not set\n');
  process.exit(2);
}
const workMilliseconds = Number(process.env['DEMO_WORK_MILLISECONDS'] ?? 3000);
const runner = process.env['CRONLOCK_OWNER'] ?? `unlocked pid ${process.pid}`;

const executor = createMysqlExecutor(databaseUrl);
try {
  const { rows } = await executor.execute(
    'SELECT id, client, next_due_date FROM demo_services WHERE next_due_date <= UTC_DATE() ORDER BY id',
  );
  process.stdout.write(`found ${rows.length} due services; generating invoices\n`);
  await new Promise((resolve) => setTimeout(resolve, workMilliseconds));

  for (const service of rows) {
    await executor.execute(
      'INSERT INTO demo_invoices (service_id, due_date, created_by) VALUES (:serviceId, :dueDate, :createdBy)',
      { serviceId: service['id'] ?? null, dueDate: service['next_due_date'] ?? null, createdBy: runner.slice(0, 255) },
    );
    await executor.execute(
      'UPDATE demo_services SET next_due_date = next_due_date + INTERVAL 1 MONTH WHERE id = :serviceId',
      { serviceId: service['id'] ?? null },
    );
    process.stdout.write(`invoice created for ${String(service['client'])} (service ${String(service['id'])})\n`);
  }
} finally {
  await executor.close();
}
