import { describe, expect, it } from 'vitest';
import type { LeaseRow } from '../../functions/shared/lease/lease-store.ts';
import type { LocalRunResult } from '../../local/runner.ts';
import { readDocumentedTable, renderTable, writeDocumentedTable, WRITE_VARIABLE, type FailureModeRow } from './failure-modes-table.ts';
import { createFaultWorld, DATABASE_STEPS, injectFaults, waitFor, type FaultPlan, type FaultWorld, type FaultWorldOptions } from './fault-world.ts';
import { lockStoreRetries, summaryOf } from '../workflow/harness.ts';

/**
 * Injects one fault per test into a local run of the real definition, against MariaDB and the
 * ECS stand-in whose tasks run test/faults/probe-cron.ts, and checks after each:
 * - never two crons of one job at once (task start and stop times, and the probes themselves);
 * - no cron without a lease (each probe reads the lock row when it starts);
 * - the lease is free again within a minute of the task stopping, or, when the database could not
 *   be reached, at the latest at the end of its hold.
 * The rows form the table in docs/FAILURE-MODES.md: the last test compares them with it, or
 * rewrites it when CRONLOCK_WRITE_FAILURE_MODES=1.
 */

/** Lease length of the runs; with stop grace 1 s and margin 2 s the cron may run about 17 s. */
const HOLD_SECONDS = 20;
/** Hold for runs whose cron hangs: the RunCron timeout fires after about 4 s. */
const HANG_HOLD_SECONDS = 8;
/** The job's container in the local configuration. */
const CRON_CONTAINER = 'whmcs';

type LeaseExpectation = 'released' | 'reclaimed' | 'held to the end of its hold' | 'never taken';

interface Expectation {
  readonly status: LocalRunResult['status'];
  readonly error: string | null;
  /** The summary outcome of a SUCCEEDED execution. */
  readonly outcome?: 'ran' | 'skipped';
  readonly cronStarted: boolean;
  readonly lease: LeaseExpectation;
  /** What an execution started after the fault cleared does. */
  readonly next: 'ran' | 'skipped';
}

interface Scenario {
  readonly fault: string;
  readonly step: string;
  readonly world: FaultWorldOptions;
  readonly holdSeconds?: number;
  readonly expect: Expectation;
  /** Runs the faulty execution; the default runs one with `faults` injected. */
  readonly act?: (world: FaultWorld, labels: ExecutionLabels) => Promise<LocalRunResult>;
  readonly faults?: readonly FaultPlan[];
  /** Checks that only this scenario needs, such as retries in the history. */
  readonly check?: (world: FaultWorld, result: LocalRunResult) => void | Promise<void>;
}

/** Names executions E1, E2, ... in the order they started, so that the table never shows an ARN. */
class ExecutionLabels {
  readonly #labels = new Map<string, string>();

  add(executionArn: string, label?: string): void {
    if (!this.#labels.has(executionArn)) {
      this.#labels.set(executionArn, label ?? `E${this.#labels.size + 1}`);
    }
  }

  of(executionArn: string | null): string {
    return executionArn === null ? 'nobody' : (this.#labels.get(executionArn) ?? 'an unknown execution');
  }
}

function databaseDownFrom(step: string, errorName = 'DatabaseResumingException'): FaultPlan {
  const steps = DATABASE_STEPS.slice(DATABASE_STEPS.indexOf(step as (typeof DATABASE_STEPS)[number]));
  return { steps, errorName, when: 'before' };
}

function retriesOf(result: LocalRunResult, stateName: string): number {
  return result.events.filter((event) => event.type === 'StateRetried' && event.state?.name === stateName).length;
}

function failuresOf(result: LocalRunResult, stateName: string): (string | undefined)[] {
  return result.events.filter((event) => event.type === 'StateFailed' && event.state?.name === stateName).map((event) => event.Error);
}

const SCENARIOS: readonly Scenario[] = [
  {
    fault: 'database connection lost once',
    step: 'EnsureLockTable',
    world: { mode: 'succeed' },
    faults: [{ steps: ['EnsureLockTable'], errorName: 'LockStoreConnectionError', when: 'before', times: 1 }],
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'EnsureLockTable')).toBe(1),
  },
  {
    fault: 'database down for good',
    step: 'EnsureLockTable',
    world: { mode: 'succeed' },
    faults: [databaseDownFrom('EnsureLockTable')],
    expect: { status: 'FAILED', error: 'LockStoreUnavailable', cronStarted: false, lease: 'never taken', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'EnsureLockTable')).toBe(lockStoreRetries()),
  },
  {
    fault: 'database resuming once',
    step: 'InsertLockRow',
    world: { mode: 'succeed' },
    faults: [{ steps: ['InsertLockRow'], errorName: 'DatabaseResumingException', when: 'before', times: 1 }],
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'InsertLockRow')).toBe(1),
  },
  {
    fault: 'database down for good',
    step: 'InsertLockRow',
    world: { mode: 'succeed' },
    faults: [databaseDownFrom('InsertLockRow')],
    expect: { status: 'FAILED', error: 'LockStoreUnavailable', cronStarted: false, lease: 'never taken', next: 'ran' },
  },
  {
    fault: 'database connection lost once, before the UPDATE',
    step: 'AcquireLock',
    world: { mode: 'succeed' },
    faults: [{ steps: ['AcquireLock'], errorName: 'LockStoreConnectionError', when: 'before', times: 1 }],
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'AcquireLock')).toBe(1),
  },
  {
    fault: 'database down for good, before the UPDATE',
    step: 'AcquireLock',
    world: { mode: 'succeed' },
    faults: [databaseDownFrom('AcquireLock')],
    expect: { status: 'FAILED', error: 'LockStoreUnavailable', cronStarted: false, lease: 'never taken', next: 'ran' },
  },
  {
    fault: 'database down for good, after the UPDATE committed',
    step: 'AcquireLock',
    world: { mode: 'succeed' },
    faults: [
      { steps: ['AcquireLock'], errorName: 'LockStoreConnectionError', when: 'after', times: 1 },
      databaseDownFrom('AcquireLock'),
    ],
    expect: { status: 'FAILED', error: 'LockStoreUnavailable', cronStarted: false, lease: 'held to the end of its hold', next: 'skipped' },
    check: (_world, result) => expect(result.reclaim?.error?.name).toBe('DatabaseResumingException'),
  },
  {
    fault: 'database resuming once',
    step: 'ReleaseLock',
    world: { mode: 'succeed' },
    faults: [{ steps: ['ReleaseLock'], errorName: 'DatabaseResumingException', when: 'before', times: 1 }],
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'ReleaseLock')).toBe(1),
  },
  {
    fault: 'database down for good',
    step: 'ReleaseLock',
    world: { mode: 'succeed' },
    faults: [databaseDownFrom('ReleaseLock')],
    expect: { status: 'FAILED', error: 'LeaseNotReleased', cronStarted: true, lease: 'held to the end of its hold', next: 'skipped' },
    check: (_world, result) => expect(result.reclaim?.error?.name).toBe('DatabaseResumingException'),
  },
  {
    fault: 'Lambda dies once after the UPDATE committed',
    step: 'AcquireLock',
    world: { mode: 'succeed' },
    faults: [{ steps: ['AcquireLock'], errorName: 'Lambda.Unknown', when: 'after', times: 1 }],
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => {
      expect(retriesOf(result, 'AcquireLock')).toBe(1);
      expect(summaryOf(result)['fencingToken']).toBe(1);
    },
  },
  {
    fault: 'Lambda dies after the UPDATE committed, on every attempt',
    step: 'AcquireLock',
    world: { mode: 'succeed' },
    faults: [{ steps: ['AcquireLock'], errorName: 'Sandbox.Timedout', when: 'after' }],
    expect: { status: 'FAILED', error: 'Sandbox.Timedout', cronStarted: false, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'AcquireLock')).toBe(4),
  },
  {
    fault: 'Lambda dies once after the release committed',
    step: 'ReleaseLock',
    world: { mode: 'succeed' },
    faults: [{ steps: ['ReleaseLock'], errorName: 'Lambda.Unknown', when: 'after', times: 1 }],
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(summaryOf(result)['releaseStatus']).toBe('already-released'),
  },
  {
    fault: 'Lambda dies after the release committed, on every attempt',
    step: 'ReleaseLock',
    world: { mode: 'succeed' },
    faults: [{ steps: ['ReleaseLock'], errorName: 'Sandbox.Timedout', when: 'after' }],
    expect: { status: 'FAILED', error: 'LeaseNotReleased', cronStarted: true, lease: 'released', next: 'ran' },
  },
  {
    fault: 'cron exits with code 3',
    step: 'RunCron',
    world: { mode: 'fail' },
    expect: { status: 'FAILED', error: 'CronFailed', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(result.events.filter((event) => event.type === 'StateEntered' && event.state?.name === 'RunCron')).toHaveLength(1),
  },
  {
    fault: 'cron hangs past its timeout',
    step: 'RunCron',
    world: { mode: 'hang' },
    holdSeconds: HANG_HOLD_SECONDS,
    expect: { status: 'FAILED', error: 'CronTimedOut', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => {
      expect(failuresOf(result, 'RunCron')).toEqual(['States.Timeout']);
      expect(result.events.filter((event) => event.type === 'StateEntered' && event.state?.name === 'StopCronTask').length).toBeGreaterThanOrEqual(2);
    },
  },
  {
    fault: 'cron killed with SIGKILL, as by the OOM killer',
    step: 'RunCron',
    world: { mode: 'kill' },
    expect: { status: 'FAILED', error: 'CronFailed', cronStarted: true, lease: 'released', next: 'ran' },
  },
  {
    fault: 'task stopped by ECS for a Spot interruption',
    step: 'RunCron',
    world: { mode: 'hang' },
    act: async (world, labels) => {
      const execution = await world.start({ input: { holdSeconds: HOLD_SECONDS, minHoldSeconds: 0 } });
      labels.add(execution.executionArn);
      await waitFor('the probe to start', () => (world.probeEvents().some((event) => event.event === 'start') ? true : undefined));
      await world.ecs.stopTasksOf(execution.executionArn, 'Your Spot Task was interrupted.', 'SpotInterruption');
      return execution.result;
    },
    expect: { status: 'FAILED', error: 'CronFailed', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(result.cause).toContain('SpotInterruption'),
  },
  {
    fault: 'sidecar exits with code 137 at shutdown',
    step: 'RunCron',
    world: { mode: 'succeed', sidecars: [{ name: 'log-router', command: 'trap "exit 137" TERM; touch "$PROBE_DIRECTORY/sidecar-ready-$CRONLOCK_FENCING_TOKEN"; while :; do sleep 0.05; done' }], sidecarReadyFile: 'sidecar-ready' },
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => {
      expect(failuresOf(result, 'RunCron')).toEqual(['States.TaskFailed']);
      expect(retriesOf(result, 'RunCron')).toBe(0);
      expect(summaryOf(result)['containers']).toEqual([
        { name: CRON_CONTAINER, exitCode: 0, reason: null },
        { name: 'log-router', exitCode: 137, reason: null },
      ]);
    },
  },
  {
    fault: 'RunTask fails twice for lack of capacity',
    step: 'RunCron',
    world: { mode: 'succeed', runTaskFailures: [{ errorName: 'AmazonECS.Unknown', count: 2 }] },
    expect: { status: 'SUCCEEDED', error: null, outcome: 'ran', cronStarted: true, lease: 'released', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'RunCron')).toBe(2),
  },
  {
    fault: 'RunTask fails for lack of capacity past the retries',
    step: 'RunCron',
    world: { mode: 'succeed', runTaskFailures: [{ errorName: 'ECS.AmazonECSException', count: 4 }] },
    expect: { status: 'FAILED', error: 'CronNotStarted', cronStarted: false, lease: 'released', next: 'ran' },
    check: (_world, result) => {
      expect(retriesOf(result, 'RunCron')).toBe(3);
      expect(result.cause).toContain('did not start');
    },
  },
  {
    fault: 'execution aborted while the cron runs; the cron takes 2 s to stop, and an execution started meanwhile skips',
    step: 'RunCron',
    world: { mode: 'slow-stop', stopGraceSeconds: 5, probeStopMilliseconds: 2000 },
    act: async (world, labels) => {
      const execution = await world.start({ input: { holdSeconds: 30, minHoldSeconds: 0 } });
      labels.add(execution.executionArn);
      await waitFor('the probe to start', () => (world.probeEvents().some((event) => event.event === 'start') ? true : undefined));

      execution.abort();
      await waitFor('the probe to get SIGTERM', () => (world.probeEvents().some((event) => event.event === 'sigterm') ? true : undefined));
      const during = await world.run({ input: { holdSeconds: 30, minHoldSeconds: 0 } });
      labels.add(during.executionArn);
      expect(during.status).toBe('SUCCEEDED');
      expect(summaryOf(during)['outcome']).toBe('skipped');
      expect(summaryOf(during)['holder']).toBe(execution.executionArn);
      expect(world.tasksOf(during.executionArn)).toHaveLength(0);

      const result = await execution.result;
      expect(result.reclaim?.result?.reclaimed).toBe(true);
      expect(result.reclaim?.result?.stoppedTaskArns).toEqual(world.tasksOf(execution.executionArn).map((task) => task.taskArn));
      return result;
    },
    expect: { status: 'ABORTED', error: null, cronStarted: true, lease: 'reclaimed', next: 'ran' },
  },
  {
    fault: 'cron hangs past its timeout and StopTask fails for good',
    step: 'StopCronTask',
    world: { mode: 'hang' },
    holdSeconds: HANG_HOLD_SECONDS,
    faults: [{ steps: ['StopCronTask'], errorName: 'EcsUnavailableError', when: 'before' }],
    expect: { status: 'FAILED', error: 'CronTaskNotStopped', cronStarted: true, lease: 'reclaimed', next: 'ran' },
    check: (_world, result) => expect(retriesOf(result, 'StopCronTask')).toBe(4),
  },
  {
    fault: 'ECS ListTasks fails for good',
    step: 'AcquireLock',
    world: { mode: 'succeed' },
    faults: [{ steps: ['AcquireLock'], errorName: 'EcsUnavailableError', when: 'before' }],
    expect: { status: 'FAILED', error: 'EcsUnavailableError', cronStarted: false, lease: 'never taken', next: 'ran' },
  },
  {
    fault: 'task of an ended execution still running after its lease expired',
    step: 'AcquireLock',
    world: { mode: 'hang' },
    act: async (world, labels) => {
      // E0 took a 4 s lease and started its task, then ended without stopping it.
      const orphanOwner = 'arn:aws:states:us-east-1:000000000000:execution:cronlock-local:crashed';
      labels.add(orphanOwner, 'E0');
      await world.store.ensureTable();
      await world.store.insertRow('cron');
      const orphanLease = await world.store.acquire({ lockName: 'cron', owner: orphanOwner, holdSeconds: 4 });
      const orphanRun = world.ecs.runTaskSync({
        Cluster: world.config.task.cluster,
        TaskDefinition: world.config.task.taskDefinition,
        StartedBy: 'cronlock/cron',
        Tags: [{ Key: 'cronlock:execution', Value: orphanOwner }],
        Overrides: {
          ContainerOverrides: [{
            Name: CRON_CONTAINER,
            Environment: [
              { Name: 'CRONLOCK_JOB', Value: 'cron' },
              { Name: 'CRONLOCK_OWNER', Value: orphanOwner },
              { Name: 'CRONLOCK_FENCING_TOKEN', Value: String(orphanLease.lease.fencingToken) },
            ],
          }],
        },
      }).catch((error: unknown) => error);
      await waitFor('the orphan probe to start', () => (world.probeEvents().some((event) => event.event === 'start') ? true : undefined));
      await waitFor('the orphan lease to expire', async () => {
        const row = await world.store.read('cron');
        return row !== null && row.lockUntil !== null && row.lockUntil <= row.databaseTime ? true : undefined;
      });

      const result = await world.run({ input: { holdSeconds: HOLD_SECONDS, minHoldSeconds: 0 } });
      labels.add(result.executionArn);
      expect((result.output as { runningTask: Record<string, unknown> }).runningTask).toMatchObject({ executionArn: orphanOwner, orphan: true });
      expect(summaryOf(result)['taskArn']).toBe(world.tasksOf(orphanOwner)[0]?.taskArn);

      await world.ecs.stopTasksOf(orphanOwner, 'Stopped by the operator');
      await orphanRun;
      return result;
    },
    expect: { status: 'SUCCEEDED', error: null, outcome: 'skipped', cronStarted: false, lease: 'never taken', next: 'ran' },
  },
];

describe('failure modes', () => {
  const rows: FailureModeRow[] = [];

  describe('faults', () => {
    for (const [index, scenario] of SCENARIOS.entries()) {
      it(`${scenario.step}: ${scenario.fault}`, async () => {
        const world = await createFaultWorld(scenario.world);
        try {
          rows[index] = await observe(world, scenario);
        } finally {
          await world.close();
        }
      });
    }
  });

  it('table matches docs/FAILURE-MODES.md', () => {
    const missing = SCENARIOS.filter((_scenario, index) => rows[index] === undefined).map((scenario) => `${scenario.step}: ${scenario.fault}`);
    expect(missing, 'every scenario ran and passed').toEqual([]);
    const table = renderTable(rows);
    if (process.env[WRITE_VARIABLE] === '1') {
      writeDocumentedTable(table);
    }
    expect(readDocumentedTable()).toBe(table);
  });
});

/** Runs one scenario and its follow-up execution, checks the invariants, and returns its table row. */
async function observe(world: FaultWorld, scenario: Scenario): Promise<FailureModeRow> {
  const labels = new ExecutionLabels();
  const input = { holdSeconds: scenario.holdSeconds ?? HOLD_SECONDS, minHoldSeconds: 0 };

  const result = scenario.act
    ? await scenario.act(world, labels)
    : await world.run({ input, ...(scenario.faults ? { wrapHandler: injectFaults(...scenario.faults).wrapHandler } : {}) });
  labels.add(result.executionArn);
  const row = await world.lockRow();
  const firstTasks = world.tasksOf(result.executionArn);

  expect(result.status).toBe(scenario.expect.status);
  expect(result.error).toBe(scenario.expect.error);
  if (scenario.expect.outcome !== undefined) {
    expect(summaryOf(result)['outcome']).toBe(scenario.expect.outcome);
  }
  expect(firstTasks.length > 0).toBe(scenario.expect.cronStarted);
  expect(world.ecs.runningTasks()).toEqual([]);
  expectLease(row, result, scenario, firstTasks.map((task) => task.stoppedAtMilliseconds ?? Number.NaN));
  await scenario.check?.(world, result);

  world.setMode('succeed');
  const next = await world.run({ input: { holdSeconds: HOLD_SECONDS, minHoldSeconds: 0 } });
  labels.add(next.executionArn);
  expect(next.status).toBe('SUCCEEDED');
  expect(summaryOf(next)['outcome']).toBe(scenario.expect.next);

  expectNoOverlap(world);
  expectEveryCronHeldTheLease(world);
  return {
    fault: scenario.fault,
    step: scenario.step,
    outcome: result.status === 'SUCCEEDED' ? `SUCCEEDED: ${String(summaryOf(result)['outcome'])}` : result.status,
    error: result.error ?? '-',
    lockRowAfter: describeLockRow(row, labels),
    cronRan: describeCron(world, result.executionArn),
    leaseFreeAfter: describeLeaseFree(row, result),
    nextExecution: `SUCCEEDED: ${String(summaryOf(next)['outcome'])}`,
  };
}

/** Checks the lease against what the scenario expects, and that a released lease was free in time. */
function expectLease(row: LeaseRow | null, result: LocalRunResult, scenario: Scenario, taskStoppedAtMilliseconds: readonly number[]): void {
  const expected = scenario.expect.lease;
  if (expected === 'never taken') {
    expect(row === null || row.owner !== result.executionArn).toBe(true);
    return;
  }
  expect(row?.owner).toBe(result.executionArn);
  if (row === null || row.lockedAt === null || row.lockUntil === null) {
    throw new Error(`lock row of ${result.executionArn} has no lease times`);
  }
  if (expected === 'held to the end of its hold') {
    expect(row.releasedAt).toBeNull();
    expect(Date.parse(row.lockUntil) - Date.parse(row.lockedAt)).toBe((scenario.holdSeconds ?? HOLD_SECONDS) * 1000);
    return;
  }
  expect(row.releasedAt).not.toBeNull();
  expect(row.lockUntil <= row.databaseTime).toBe(true);
  expect(result.reclaim?.result?.reclaimed === true).toBe(expected === 'reclaimed');
  for (const stoppedAt of taskStoppedAtMilliseconds) {
    // The database runs on this machine and shares its clock.
    expect(Date.parse(row.lockUntil) - stoppedAt).toBeLessThan(60_000);
  }
}

/** Task start and stop times of one job never overlap, and no probe found another one alive. */
function expectNoOverlap(world: FaultWorld): void {
  const intervals = world.ecs.tasks
    .map((task) => [task.startedAtMilliseconds, task.stoppedAtMilliseconds ?? Number.POSITIVE_INFINITY] as const)
    .sort((left, right) => left[0] - right[0]);
  for (let index = 1; index < intervals.length; index += 1) {
    expect(intervals[index]?.[0]).toBeGreaterThanOrEqual(intervals[index - 1]?.[1] ?? 0);
  }
  const starts = world.probeEvents().filter((event) => event.event === 'start');
  expect(starts.length).toBe(world.ecs.tasks.length);
  expect(starts.flatMap((event) => event.overlapping ?? [])).toEqual([]);
}

function expectEveryCronHeldTheLease(world: FaultWorld): void {
  const starts = world.probeEvents().filter((event) => event.event === 'start');
  expect(starts.filter((event) => event.leaseHeld !== true).map((event) => event.owner)).toEqual([]);
}

function describeLockRow(row: LeaseRow | null, labels: ExecutionLabels): string {
  if (row === null) {
    return 'no row';
  }
  if (row.owner === null) {
    return `never taken, token ${row.fencingToken}`;
  }
  const owner = labels.of(row.owner);
  if (row.releasedAt !== null) {
    return `released by ${owner}, token ${row.fencingToken}`;
  }
  if (row.lockUntil !== null && row.lockUntil <= row.databaseTime) {
    return `expired lease of ${owner}, token ${row.fencingToken}`;
  }
  return `held by ${owner} to the end of its hold, token ${row.fencingToken}`;
}

function describeCron(world: FaultWorld, executionArn: string): string {
  const tasks = world.tasksOf(executionArn);
  if (tasks.length === 0) {
    return 'no';
  }
  return tasks.map((task) => {
    const exits = task.containers.map((container) => `${container.name} exit ${container.exitCode ?? 'none'}`).join(', ');
    const stop = task.stopCode === 'EssentialContainerExited' ? '' : ` after stop (${task.stopCode ?? 'no stop code'})`;
    return `yes: ${exits}${stop}`;
  }).join('; ');
}

function describeLeaseFree(row: LeaseRow | null, result: LocalRunResult): string {
  if (row === null || row.owner !== result.executionArn) {
    return 'never taken';
  }
  if (row.releasedAt === null) {
    return 'at the end of its hold';
  }
  return result.reclaim?.result?.reclaimed === true ? 'when the reclaim released it, once the task had stopped' : 'at release';
}
