import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LeaseStore } from '../functions/shared/lease/lease-store.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';
import { LocalEcs } from './ecs-stand-in.ts';
import { localRuntimeConfig } from './local-config.ts';
import { enteredStates, startLocalExecution, type LocalRunResult } from './runner.ts';

/** The demo's WHMCS-like tables: services with a next due date, and the invoices the cron makes. */
const DEMO_SCHEMA = [
  'DROP TABLE IF EXISTS demo_invoices',
  'DROP TABLE IF EXISTS demo_services',
  `CREATE TABLE demo_services (
    id INT PRIMARY KEY, client VARCHAR(64) NOT NULL, next_due_date DATE NOT NULL)`,
  `CREATE TABLE demo_invoices (
    id INT AUTO_INCREMENT PRIMARY KEY, service_id INT NOT NULL, due_date DATE NOT NULL,
    created_by VARCHAR(255) NOT NULL)`,
];

const DEMO_CLIENTS = ['Acme Hosting', 'Blue Fern Ltd', 'Cobalt Studio', 'Delta Apps', 'Echo Print'];

/** The demo's lock table: never the real one, so a demo against a WHMCS database takes no real lock. */
export const DEMO_LOCK_TABLE = 'cronlock_demo_lock';

export const DEMO_CRON_PATH = fileURLToPath(new URL('./demo-cron.ts', import.meta.url));

export interface InvoiceCounts {
  readonly services: number;
  readonly invoices: number;
  /** Invoices beyond the first for the same service and due date. */
  readonly duplicates: number;
}

/** Creates the demo tables with five services due today and no invoices. */
export async function resetDemoTables(executor: SqlExecutor): Promise<void> {
  for (const statement of DEMO_SCHEMA) {
    await executor.execute(statement);
  }
  for (const [index, client] of DEMO_CLIENTS.entries()) {
    await executor.execute('INSERT INTO demo_services (id, client, next_due_date) VALUES (:id, :client, UTC_DATE())', { id: index + 1, client });
  }
}

export async function countInvoices(executor: SqlExecutor): Promise<InvoiceCounts> {
  const services = await executor.execute('SELECT COUNT(*) AS count FROM demo_services');
  const invoices = await executor.execute(
    'SELECT COUNT(*) AS invoices, COUNT(*) - COUNT(DISTINCT service_id, due_date) AS duplicates FROM demo_invoices',
  );
  return {
    services: Number(services.rows[0]?.['count']),
    invoices: Number(invoices.rows[0]?.['invoices']),
    duplicates: Number(invoices.rows[0]?.['duplicates']),
  };
}

/** Returns the shell command that runs the demo cron on this Node.js. */
export function demoCronCommand(): string {
  return [process.execPath, DEMO_CRON_PATH].map(shellQuote).join(' ');
}

export interface DemoOptions {
  readonly executor: SqlExecutor;
  readonly databaseUrl: string;
  readonly table: string;
  readonly print: (line: string) => void;
  readonly workMilliseconds?: number;
}

export interface DemoResult {
  readonly withoutLock: InvoiceCounts;
  readonly withLock: InvoiceCounts;
  readonly executions: readonly LocalRunResult[];
}

/**
 * Runs the demo: three copies of the cron at once without a lock, then three executions of the
 * workflow at once (a scheduled one, a duplicate delivery of it, a manual one from the console).
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { executor, print } = options;
  const workMilliseconds = options.workMilliseconds ?? 3000;
  const cronEnvironment = { DEMO_DATABASE_URL: options.databaseUrl, DEMO_WORK_MILLISECONDS: String(workMilliseconds) };

  print('1. Without a lock: three containers run the cron at the same time, as a crontab in each would.');
  await resetDemoTables(executor);
  await Promise.all([1, 2, 3].map(() => runUnlocked(cronEnvironment)));
  const withoutLock = await countInvoices(executor);
  print(`   ${withoutLock.services} services were due; ${withoutLock.invoices} invoices were created, ${withoutLock.duplicates} of them duplicates.`);
  print('');

  print('2. With cronlock: three executions of the workflow start at once.');
  await resetDemoTables(executor);
  const ecs = new LocalEcs({
    taskCommand: demoCronCommand(),
    stopGraceSeconds: 5,
    environment: cronEnvironment,
    onOutput: (line) => print(`   [task ${line.taskArn.slice(-6)}] ${line.line}`),
  });
  const config = localRuntimeConfig({ table: options.table });
  const slot = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '');
  const starts = [
    { label: 'scheduled (EventBridge)', input: { job: 'cron' }, name: `schedule-cron-${slot}-a` },
    { label: 'duplicate delivery', input: { job: 'cron' }, name: `schedule-cron-${slot}-b` },
    { label: 'manual from the console', input: {}, name: undefined },
  ];
  const executions = await Promise.all(starts.map(async (start) => {
    const execution = await startLocalExecution({ input: start.input, executionName: start.name, executor, config, ecs });
    return { start, result: await execution.result };
  }));

  for (const { start, result } of executions) {
    print('');
    print(`   Execution ${result.executionName} (${start.label}), input ${JSON.stringify(start.input)}`);
    print(`   states: ${enteredStates(result.events).join(' > ')}`);
    print(`   status: ${result.status}`);
    const summary = (result.output as { summary?: Record<string, unknown> & { outcome: string; message: string } } | null)?.summary;
    if (summary) {
      print(`   outcome: ${summary.outcome}. ${summary.message}`);
      const { outcome, holder, fencingToken, lockUntil, cronExitCode, releaseStatus } = summary;
      print(`   output summary: ${JSON.stringify({ outcome, holder, fencingToken, lockUntil, cronExitCode, releaseStatus })}`);
    } else {
      print(`   error: ${result.error ?? 'none'}: ${result.cause ?? ''}`);
    }
  }

  const lease = await new LeaseStore(executor, options.table).read('cron');
  print('');
  print(`   Lock row in ${options.table}: ${JSON.stringify(lease, null, 0)}`);
  const withLock = await countInvoices(executor);
  print(`   ${withLock.services} services were due; ${withLock.invoices} invoices were created, ${withLock.duplicates} of them duplicates.`);
  return { withoutLock, withLock, executions: executions.map((execution) => execution.result) };
}

function runUnlocked(environment: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO_CRON_PATH], { env: { ...process.env, ...environment }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`demo cron exited with ${code}`))));
  });
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
