import type { RuntimeConfig } from '../../functions/shared/config.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { createMysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import type { SqlExecutor } from '../../functions/shared/store/sql-executor.ts';
import { LocalEcs, type LocalEcsOptions, type TaskOutputLine } from '../../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { runLocalExecution, startLocalExecution, type LocalExecution, type LocalRunOptions, type LocalRunResult } from '../../local/runner.ts';
import { readRawDefinition } from '../../local/definition.ts';
import { createTestDatabase } from '../database.ts';

/** A database, configuration and ECS stand-in for running the real definition in tests. */
export interface WorkflowHarness {
  readonly databaseUrl: string;
  readonly executor: SqlExecutor;
  readonly config: RuntimeConfig;
  readonly store: LeaseStore;
  /** Creates an ECS stand-in that records the lines its tasks print. */
  createEcs(options?: Partial<LocalEcsOptions>): { ecs: LocalEcs; lines: TaskOutputLine[] };
  run(ecs: LocalEcs, options?: Partial<LocalRunOptions>): Promise<LocalRunResult>;
  start(ecs: LocalEcs, options?: Partial<LocalRunOptions>): Promise<LocalExecution>;
  close(): Promise<void>;
}

export async function createWorkflowHarness(connectionLimit = 4): Promise<WorkflowHarness> {
  const databaseUrl = await createTestDatabase('workflow');
  const executor = createMysqlExecutor(databaseUrl, connectionLimit);
  const config = localRuntimeConfig();
  const logger = createLogger('SILENT');
  const runOptions = (ecs: LocalEcs, options: Partial<LocalRunOptions>): LocalRunOptions => ({
    executor,
    config,
    ecs,
    logger,
    ...options,
  });
  return {
    databaseUrl,
    executor,
    config,
    store: new LeaseStore(executor, config.table),
    createEcs: (options = {}) => {
      const lines: TaskOutputLine[] = [];
      const ecs = new LocalEcs({ stopGraceSeconds: 1, onOutput: (line) => lines.push(line), ...options });
      return { ecs, lines };
    },
    run: (ecs, options = {}) => runLocalExecution(runOptions(ecs, options)),
    start: (ecs, options = {}) => startLocalExecution(runOptions(ecs, options)),
    close: () => executor.close(),
  };
}

/** Returns the `summary` of a succeeded execution's output, or of a failed execution's cause. */
export function summaryOf(result: LocalRunResult): Record<string, unknown> {
  if (result.status === 'SUCCEEDED') {
    return (result.output as { summary: Record<string, unknown> }).summary;
  }
  return JSON.parse(result.cause ?? 'null') as Record<string, unknown>;
}

/** Returns MaxAttempts of the definition's lock store Retry: the retries after the first attempt. */
export function lockStoreRetries(): number {
  const retry = readRawDefinition().States['EnsureLockTable']?.['Retry'] as { ErrorEquals: string[]; MaxAttempts: number }[];
  const retrier = retry.find((candidate) => candidate.ErrorEquals.includes('DatabaseResumingException'));
  if (retrier === undefined) {
    throw new Error('EnsureLockTable has no Retry for DatabaseResumingException');
  }
  return retrier.MaxAttempts;
}
