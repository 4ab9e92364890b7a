import type { Command } from 'commander';
import { createLogger } from '../functions/shared/step-handler.ts';
import { DEFAULT_TABLE_NAME, TABLE_NAME_PATTERN } from '../functions/shared/lease/lease-sql.ts';
import { LocalEcs } from '../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../local/local-config.ts';
import { enteredStates, startLocalExecution, type LocalRunResult } from '../local/runner.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';
import { CliError, EXIT_CODES } from './exit-codes.ts';
import { withLocalDatabase } from './local-database.ts';
import { withLocalLockStore } from './local-lock-store.ts';
import { reserveStdoutForResult, writeNote, writeResult } from './output.ts';

interface LocalRunOptions {
  readonly input: string;
  readonly databaseUrl?: string;
  readonly table: string;
  readonly name?: string;
  readonly taskCommand?: string;
  readonly json?: boolean;
  readonly logLevel: string;
  readonly dataApi?: boolean;
}

/** Adds `cronlock local run`. */
export function registerLocalCommands(program: Command): void {
  const local = program.command('local').description('run the workflow on this machine, without AWS');
  local
    .command('run')
    .description('run one execution of the workflow definition locally and print its outcome')
    .option('--input <json>', 'execution input, as given to StartExecution', '{}')
    .option('--database-url <url>', 'MySQL or MariaDB to hold the lock (mysql://user:password@host:3306/database); default: a throwaway MariaDB')
    .option('--table <name>', 'lock table name', DEFAULT_TABLE_NAME)
    .option('--name <name>', 'execution name, as in StartExecution; each name runs once per database')
    .option('--task-command <command>', "shell command run in place of the job's ECS task")
    .option('--data-api', 'reach the lock table through the RDS Data API client and a local Data API endpoint, as in AWS')
    .option('--json', 'print the result as JSON on stdout; logs go to stderr')
    .option('--log-level <level>', 'Lambda log level: DEBUG, INFO, WARN, ERROR or SILENT', 'WARN')
    .action(async (options: LocalRunOptions) => {
      process.exitCode = await runLocalCommand(options);
    });
}

/** Log levels of the Powertools Logger. */
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

async function runLocalCommand(options: LocalRunOptions): Promise<number> {
  const input = parseInput(options.input);
  validateLocalOptions(options);
  reserveStdoutForResult();
  const result = await withLocalDatabase(options.databaseUrl, (databaseUrl) =>
    withLocalLockStore(databaseUrl, options.dataApi === true, (executor) => runExecution(executor, input, options)));

  printResult(result, options.json === true);
  return result.status === 'SUCCEEDED' ? EXIT_CODES.success : EXIT_CODES.failure;
}

async function runExecution(executor: SqlExecutor, input: unknown, options: LocalRunOptions): Promise<LocalRunResult> {
  const config = localRuntimeConfig({ table: options.table });
  const ecs = new LocalEcs({
    taskCommand: options.taskCommand,
    stopGraceSeconds: config.task.stopGraceSeconds,
    onOutput: (line) => writeNote(`[task ${line.container}] ${line.line}`),
  });
  const execution = await startLocalExecution({
    input,
    executionName: options.name,
    executor,
    config,
    ecs,
    logger: createLogger(options.logLevel.toUpperCase()),
    // Ctrl-C aborts the execution; the reclaim then stops its task and frees its lease, as in AWS.
    reclaim: true,
    onEvent: options.json ? undefined : (event) => {
      if (event.type === 'StateEntered' && event.state) {
        writeNote(`-> ${event.state.name}`);
      } else if (event.type === 'StateRetried' && event.state) {
        writeNote(`   retrying ${event.state.name} (attempt ${(event.retry?.attempt ?? 0) + 1})`);
      }
    },
  });
  const abort = () => execution.abort();
  process.once('SIGINT', abort);
  try {
    return await execution.result;
  } finally {
    process.off('SIGINT', abort);
  }
}

/** Rejects bad options before a throwaway MariaDB is started for nothing. */
function validateLocalOptions(options: LocalRunOptions): void {
  if (!LOG_LEVELS.includes(options.logLevel.toUpperCase())) {
    throw new CliError(`--log-level "${options.logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  if (!TABLE_NAME_PATTERN.test(options.table)) {
    throw new CliError(`--table "${options.table}" is not a valid table name; use 1 to 64 letters, digits or underscores, not starting with a digit`);
  }
}

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`--input is not valid JSON: ${(error as Error).message}. Example: --input '{"job": "cron"}'`);
  }
}

function printResult(result: LocalRunResult, json: boolean): void {
  if (json) {
    writeResult(JSON.stringify({
      executionArn: result.executionArn,
      status: result.status,
      states: enteredStates(result.events),
      output: result.output,
      error: result.error,
      cause: result.cause,
    }, null, 2));
    return;
  }
  writeResult(`Execution ${result.executionArn}: ${result.status}`);
  if (result.status === 'SUCCEEDED') {
    const summary = (result.output as { summary?: { outcome: string; message: string } } | null)?.summary;
    writeResult(summary ? `${summary.outcome}: ${summary.message}` : JSON.stringify(result.output));
  } else if (result.status === 'FAILED') {
    writeResult(`error: ${result.error ?? 'unknown'}`);
    writeResult(`cause: ${result.cause ?? ''}`);
  }
}
