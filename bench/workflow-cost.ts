import { createLogger } from '../functions/shared/step-handler.ts';
import { createMysqlExecutor } from '../functions/shared/store/mysql-executor.ts';
import type { SqlExecutor, SqlParameters, SqlResult } from '../functions/shared/store/sql-executor.ts';
import { LocalEcs } from '../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../local/local-config.ts';
import { enteredStates, runLocalExecution, type LocalRunResult } from '../local/runner.ts';

/** Step Functions Standard pricing used here: USD 0.025 per 1,000 state transitions. */
export const PRICE_PER_THOUSAND_TRANSITIONS_USD = 0.025;
/** Transitions per account per month in the Step Functions free tier. */
export const FREE_TRANSITIONS_PER_MONTH = 4000;
/** One run every 5 minutes for 30 days. */
export const RUNS_PER_MONTH = (30 * 24 * 60) / 5;

export interface PathCost {
  readonly path: 'ran' | 'skipped';
  readonly states: readonly string[];
  readonly transitions: number;
  readonly sqlStatements: number;
}

export interface WorkflowCostResult {
  readonly ran: PathCost;
  readonly skipped: PathCost;
  /** Transitions a month of one job, if every run took the ran path. */
  readonly transitionsPerMonth: number;
  readonly monthlyCostUsd: number;
  readonly monthlyCostWithoutFreeTierUsd: number;
}

/** Counts the statements of one run over a shared connection pool. */
class CountingExecutor implements SqlExecutor {
  count = 0;
  readonly #inner: SqlExecutor;

  constructor(inner: SqlExecutor) {
    this.#inner = inner;
  }

  execute(sql: string, parameters?: SqlParameters): Promise<SqlResult> {
    this.count += 1;
    return this.#inner.execute(sql, parameters);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Runs the real definition locally once on the ran path and once on the skipped path, and counts
 * state transitions (states entered, as Step Functions bills them) and SQL statements.
 */
export async function measureWorkflowCost(databaseUrl: string): Promise<WorkflowCostResult> {
  const pool = createMysqlExecutor(databaseUrl);
  try {
    const config = localRuntimeConfig();
    const ecs = new LocalEcs({ taskCommand: 'sleep 1', stopGraceSeconds: 1 });
    const logger = createLogger('SILENT');
    // Each run counts on its own executor: the ran and skipped runs overlap in time.
    const run = async (): Promise<{ result: LocalRunResult; statements: number }> => {
      const executor = new CountingExecutor(pool);
      const result = await runLocalExecution({ executor, config, ecs, logger, input: { job: 'cron' } });
      return { result, statements: executor.count };
    };

    // A first run creates the table and row, as the first run after a deploy does.
    await run();
    await pool.execute(`UPDATE ${config.table} SET lock_until = NULL WHERE lock_name = 'cron'`);

    const [ran, skipped] = await Promise.all([run(), new Promise((resolve) => setTimeout(resolve, 300)).then(run)]);
    const ranPath = toPathCost('ran', ran);
    const skippedPath = toPathCost('skipped', skipped);
    const transitionsPerMonth = ranPath.transitions * RUNS_PER_MONTH;
    return {
      ran: ranPath,
      skipped: skippedPath,
      transitionsPerMonth,
      monthlyCostUsd: (Math.max(0, transitionsPerMonth - FREE_TRANSITIONS_PER_MONTH) / 1000) * PRICE_PER_THOUSAND_TRANSITIONS_USD,
      monthlyCostWithoutFreeTierUsd: (transitionsPerMonth / 1000) * PRICE_PER_THOUSAND_TRANSITIONS_USD,
    };
  } finally {
    await pool.close();
  }
}

function toPathCost(path: 'ran' | 'skipped', run: { result: LocalRunResult; statements: number }): PathCost {
  const summary = (run.result.output as { summary?: { outcome?: string } } | null)?.summary;
  if (summary?.outcome !== path) {
    throw new Error(`expected the ${path} path, got ${run.result.status} ${summary?.outcome ?? run.result.error ?? ''}`);
  }
  const states = enteredStates(run.result.events);
  return { path, states, transitions: states.length, sqlStatements: run.statements };
}
