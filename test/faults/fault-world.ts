import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeConfig } from '../../functions/shared/config.ts';
import { LeaseStore, type LeaseRow } from '../../functions/shared/lease/lease-store.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { createMysqlExecutor, type MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { LocalEcs, type LocalEcsOptions, type LocalTaskRecord } from '../../local/ecs-stand-in.ts';
import { localRuntimeConfig } from '../../local/local-config.ts';
import { startLocalExecution, type LocalExecution, type LocalRunOptions, type LocalRunResult, type LocalTaskHandler } from '../../local/runner.ts';
import { createTestDatabase } from '../database.ts';

export const PROBE_CRON_PATH = fileURLToPath(new URL('./probe-cron.ts', import.meta.url));

export type ProbeMode = 'succeed' | 'fail' | 'hang' | 'kill' | 'slow-stop';

/** Every Task state retries at once, so a fault that lasts past the retries ends a run in seconds. */
export const NO_RETRY_WAIT: Readonly<Record<string, number>> = {
  ResolveSettings: 0,
  EnsureLockTable: 0,
  InsertLockRow: 0,
  AcquireLock: 0,
  RunCron: 0,
  StopCronTask: 0,
  ReleaseLock: 0,
  ReleaseAfterFailure: 0,
  AbandonLease: 0,
};

/** Checks of a stopping task 100 ms apart instead of up to 5 s. */
export const FAST_WAITS: Readonly<Record<string, number>> = { WaitForCronTaskStop: 100 };

/** Lambda states that run SQL, plus the reclaim function: what a database outage reaches. */
export const DATABASE_STEPS = ['EnsureLockTable', 'InsertLockRow', 'AcquireLock', 'AbandonLease', 'ReleaseLock', 'ReleaseAfterFailure', 'ReclaimLease'] as const;

export interface FaultWorldOptions {
  readonly mode: ProbeMode;
  /** Seconds between SIGTERM and SIGKILL, in the configuration and in the ECS stand-in. Default 1. */
  readonly stopGraceSeconds?: number;
  readonly sidecars?: LocalEcsOptions['sidecars'];
  readonly runTaskFailures?: LocalEcsOptions['runTaskFailures'];
  /** How long a slow-stop probe takes after SIGTERM. Default 2000 ms. */
  readonly probeStopMilliseconds?: number;
  /**
   * A file name in the probe directory: a sidecar creates `<name>-<fencing token>` once its SIGTERM
   * trap is set, and the probe waits for that file before it ends.
   */
  readonly sidecarReadyFile?: string;
}

/** One event a probe cron wrote. */
export interface ProbeEvent {
  readonly event: 'start' | 'end' | 'sigterm';
  readonly pid: number;
  readonly owner: string;
  readonly fencingToken: number;
  readonly atMilliseconds: number;
  readonly overlapping?: number[];
  readonly leaseHeld?: boolean;
  readonly exitCode?: number;
}

/** A database, short holds, an ECS stand-in whose tasks run the probe cron, and a probe directory. */
export interface FaultWorld {
  readonly executor: MysqlExecutor;
  readonly config: RuntimeConfig;
  readonly store: LeaseStore;
  readonly ecs: LocalEcs;
  readonly probeDirectory: string;
  setMode(mode: ProbeMode): void;
  start(options?: Partial<LocalRunOptions>): Promise<LocalExecution>;
  run(options?: Partial<LocalRunOptions>): Promise<LocalRunResult>;
  probeEvents(): ProbeEvent[];
  /** The lock row of job "cron", or null when the table or the row does not exist. */
  lockRow(): Promise<LeaseRow | null>;
  tasksOf(executionArn: string): LocalTaskRecord[];
  close(): Promise<void>;
}

export async function createFaultWorld(options: FaultWorldOptions): Promise<FaultWorld> {
  const databaseUrl = await createTestDatabase('faults');
  const executor = createMysqlExecutor(databaseUrl, 4);
  const stopGraceSeconds = options.stopGraceSeconds ?? 1;
  const config = localRuntimeConfig({
    environment: {
      CRONLOCK_ECS_STOP_GRACE_SECONDS: String(stopGraceSeconds),
      CRONLOCK_RUN_MARGIN_SECONDS: '2',
      CRONLOCK_MIN_RUN_SECONDS: '1',
    },
  });
  const probeDirectory = mkdtempSync(join(tmpdir(), 'cronlock-probe-'));
  const setMode = (mode: ProbeMode) => writeFileSync(join(probeDirectory, 'mode'), mode);
  setMode(options.mode);

  const ecs = new LocalEcs({
    // exec, so that the probe is the container's process and its own exit code is the container's.
    taskCommand: `exec ${shellQuote(process.execPath)} ${shellQuote(PROBE_CRON_PATH)}`,
    stopGraceSeconds,
    sidecars: options.sidecars,
    runTaskFailures: options.runTaskFailures,
    environment: {
      PROBE_DIRECTORY: probeDirectory,
      PROBE_DATABASE_URL: databaseUrl,
      PROBE_TABLE: config.table,
      PROBE_STOP_MILLISECONDS: String(options.probeStopMilliseconds ?? 2000),
      ...(options.sidecarReadyFile === undefined ? {} : { SIDECAR_READY: join(probeDirectory, options.sidecarReadyFile) }),
    },
  });
  const logger = createLogger('SILENT');
  const store = new LeaseStore(executor, config.table);

  const start = (runOptions: Partial<LocalRunOptions> = {}) => startLocalExecution({
    executor,
    config,
    ecs,
    logger,
    input: { holdSeconds: 20, minHoldSeconds: 0 },
    reclaim: true,
    retryIntervalOverrides: NO_RETRY_WAIT,
    waitTimeOverrides: FAST_WAITS,
    reclaimCheckIntervalMilliseconds: 100,
    ...runOptions,
  });

  return {
    executor,
    config,
    store,
    ecs,
    probeDirectory,
    setMode,
    start,
    run: async (runOptions) => (await start(runOptions)).result,
    probeEvents: () => readProbeEvents(probeDirectory),
    lockRow: async () => {
      const { rows } = await executor.execute('SELECT COUNT(*) AS tables FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = :table', { table: config.table });
      return Number(rows[0]?.['tables']) === 0 ? null : store.read('cron');
    },
    tasksOf: (executionArn) => ecs.tasks.filter((task) => task.executionArn === executionArn),
    close: async () => {
      await executor.close();
      rmSync(probeDirectory, { recursive: true, force: true });
    },
  };
}

function readProbeEvents(directory: string): ProbeEvent[] {
  const path = join(directory, 'events.jsonl');
  if (!existsSync(path)) {
    return [];
  }
  return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ProbeEvent);
}

/** Polls `read` until it returns a value other than undefined, for at most `timeoutMilliseconds`. */
export async function waitFor<T>(description: string, read: () => T | undefined | Promise<T | undefined>, timeoutMilliseconds = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMilliseconds;
  for (;;) {
    const value = await read();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMilliseconds} ms waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface FaultPlan {
  /** The states (or ReclaimLease) the fault hits. */
  readonly steps: readonly string[];
  readonly errorName: string;
  /** before: the statement never runs. after: it runs and commits, then the response is lost. */
  readonly when: 'before' | 'after';
  /** How many calls fail, counted over all the steps; omitted for every call. */
  readonly times?: number;
}

/** Wraps the runner's handlers so the planned calls fail. Returns the wrapper and a call counter. */
export function injectFaults(...plans: readonly FaultPlan[]): { wrapHandler: NonNullable<LocalRunOptions['wrapHandler']>; failures: () => number } {
  const remaining = plans.map((plan) => plan.times ?? Number.POSITIVE_INFINITY);
  let failures = 0;
  const wrapHandler = (stateName: string, handler: LocalTaskHandler): LocalTaskHandler => async (input) => {
    const index = plans.findIndex((plan, planIndex) => plan.steps.includes(stateName) && (remaining[planIndex] ?? 0) > 0);
    const plan = plans[index];
    if (plan === undefined) {
      return handler(input);
    }
    remaining[index] = (remaining[index] ?? 0) - 1;
    failures += 1;
    if (plan.when === 'after') {
      await handler(input);
    }
    throw namedError(plan.errorName, `Fault injected at ${stateName} ${plan.when === 'after' ? 'after its statement committed' : 'before it ran'}`);
  };
  return { wrapHandler, failures: () => failures };
}

export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
