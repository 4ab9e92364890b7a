import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enteredStates, type LocalTaskHandler } from '../../local/runner.ts';
import { createWorkflowHarness, summaryOf, type WorkflowHarness } from './harness.ts';

const RAN_PATH = ['ResolveSettings', 'EnsureLockTable', 'InsertLockRow', 'AcquireLock', 'IsLeaseAcquired', 'RunCron', 'ReleaseLock'];
const SKIPPED_PATH = ['ResolveSettings', 'EnsureLockTable', 'InsertLockRow', 'AcquireLock', 'IsLeaseAcquired', 'Skipped'];

describe('local workflow', () => {
  let harness: WorkflowHarness;

  beforeAll(async () => {
    harness = await createWorkflowHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  async function freeLock(job = 'cron'): Promise<void> {
    await harness.store.ensureTable();
    await harness.executor.execute(`DELETE FROM ${harness.config.table} WHERE lock_name = :job`, { job });
  }

  it('acquired path runs the cron once', async () => {
    await freeLock();
    const { ecs, lines } = harness.createEcs({
      taskCommand: 'echo "job=$CRONLOCK_JOB token=$CRONLOCK_FENCING_TOKEN owner=$CRONLOCK_OWNER until=$CRONLOCK_LEASE_UNTIL timeout=$CRONLOCK_TIMEOUT_SECONDS"',
    });

    const result = await harness.run(ecs, { input: { job: 'cron' } });

    expect(result.status).toBe('SUCCEEDED');
    expect(enteredStates(result.events)).toEqual(RAN_PATH);
    const summary = summaryOf(result);
    expect(summary['outcome']).toBe('ran');
    expect(summary['cronExitCode']).toBe(0);
    expect(summary['releaseStatus']).toBe('released');
    expect(ecs.tasks).toHaveLength(1);
    const token = summary['fencingToken'];
    expect(lines).toHaveLength(1);
    const [printed, timeoutText] = lines[0]?.line.split(' timeout=') ?? [];
    const lease = (result.output as { lease: { lockUntil: string } }).lease;
    expect(printed).toBe(`job=cron token=${String(token)} owner=${result.executionArn} until=${lease.lockUntil}`);
    expect(Date.parse(lease.lockUntil) - Date.parse(String(summary['lockedAt']))).toBe(1800 * 1000);
    // 1800 s of hold, less 30 s grace and 30 s margin, less the time between the UPDATE and its
    // read-back rounded down to whole seconds. That time is 0 when both run in one query.
    expect(Number(timeoutText)).toBeLessThanOrEqual(1740);
    expect(Number(timeoutText)).toBeGreaterThan(1700);
    const row = await harness.store.read('cron');
    expect(row?.owner).toBe(result.executionArn);
    expect(row?.releasedAt).not.toBeNull();
  });

  it('output keeps holds as workflow state', async () => {
    await freeLock();
    const { ecs } = harness.createEcs({ taskCommand: 'true' });

    const result = await harness.run(ecs, { input: { holdSeconds: 900, minHoldSeconds: 60 } });

    const output = result.output as { settings: Record<string, unknown>; summary: Record<string, unknown> };
    expect(output.settings['holdSeconds']).toBe(900);
    expect(output.settings['minHoldSeconds']).toBe(60);
    expect(output.summary['holdSeconds']).toBe(900);
    expect(output.summary['minHoldSeconds']).toBe(60);
  });

  it('skipped path names the holder', async () => {
    await freeLock();
    await harness.store.ensureTable();
    await harness.store.insertRow('cron');
    const holder = 'arn:aws:states:us-east-1:000000000000:execution:cronlock-local:holder';
    const taken = await harness.store.acquire({ lockName: 'cron', owner: holder, holdSeconds: 1800 });
    const { ecs } = harness.createEcs({ taskCommand: 'true' });

    const result = await harness.run(ecs, { input: {} });

    expect(result.status).toBe('SUCCEEDED');
    expect(enteredStates(result.events)).toEqual(SKIPPED_PATH);
    const summary = summaryOf(result);
    expect(summary['outcome']).toBe('skipped');
    expect(summary['holder']).toBe(holder);
    expect(summary['fencingToken']).toBe(taken.lease.fencingToken);
    expect(summary['lockUntil']).toBe(taken.lease.lockUntil);
    expect(String(summary['message'])).toContain(holder);
    expect(ecs.tasks).toHaveLength(0);
  });

  it('failed cron releases and fails execution', async () => {
    await freeLock();
    const { ecs } = harness.createEcs({ taskCommand: 'echo partial work; exit 3' });

    const result = await harness.run(ecs, { input: { job: 'cron' } });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CronFailed');
    const cause = summaryOf(result);
    expect(cause['outcome']).toBe('failed');
    expect(cause['cronExitCode']).toBe(3);
    expect(cause['releaseStatus']).toBe('released');
    expect(String(cause['message'])).toContain('exited with code 3');
    expect(ecs.tasks).toHaveLength(1);
    const row = await harness.store.read('cron');
    expect(row?.owner).toBe(result.executionArn);
    expect(row?.releasedAt).not.toBeNull();
  });

  it('missing task command fails without retry', async () => {
    await freeLock();
    const { ecs } = harness.createEcs();

    const result = await harness.run(ecs, { input: { job: 'cron' } });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CronNotStarted');
    expect(summaryOf(result)['releaseStatus']).toBe('released');
    expect(ecs.tasks).toHaveLength(1);
  });

  it.each([
    ['"cron"', '$'],
    ['[]', '$'],
    ['{"job": "backup"}', 'job'],
    ['{"job": 5}', 'job'],
    ['{"holdSeconds": "1800"}', 'holdSeconds'],
    ['{"holdSeconds": 10}', 'holdSeconds'],
    ['{"holdSeconds": 1800.5}', 'holdSeconds'],
    ['{"minHoldSeconds": 2000}', 'minHoldSeconds'],
    ['{"holdSeconds": 600, "minHoldSeconds": 601}', 'minHoldSeconds'],
    ['{"command": ["rm", "-rf", "/"]}', 'command'],
  ])('bad input %s fails before any write', async (inputText, field) => {
    const fresh = await createWorkflowHarness(1);
    try {
      const { ecs } = fresh.createEcs({ taskCommand: 'true' });

      const result = await fresh.run(ecs, { input: JSON.parse(inputText) as unknown });

      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('InvalidInput');
      expect(result.cause).toContain(`"${field}"`);
      expect(enteredStates(result.events)).toEqual(['ResolveSettings']);
      expect(ecs.tasks).toHaveLength(0);
      const tables = await fresh.executor.execute('SHOW TABLES');
      expect(tables.rows).toHaveLength(0);
    } finally {
      await fresh.close();
    }
  });

  it('console default comment is accepted', async () => {
    await freeLock();
    const { ecs } = harness.createEcs({ taskCommand: 'true' });

    const result = await harness.run(ecs, { input: { Comment: 'Insert your JSON here' } });

    expect(result.status).toBe('SUCCEEDED');
    expect(summaryOf(result)['outcome']).toBe('ran');
  });

  it('C1: two executions 50 ms apart run one cron', async () => {
    const fresh = await createWorkflowHarness();
    try {
      const { ecs } = fresh.createEcs({ taskCommand: 'sleep 0.3' });

      const first = fresh.run(ecs, { input: { job: 'cron' } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = fresh.run(ecs, { input: { job: 'cron' } });
      const results = await Promise.all([first, second]);

      expect(results.map((result) => result.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const outcomes = results.map((result) => summaryOf(result)['outcome']).sort();
      expect(outcomes).toEqual(['ran', 'skipped']);
      expect(ecs.tasks).toHaveLength(1);
      const [winner] = results.filter((result) => summaryOf(result)['outcome'] === 'ran');
      const [loser] = results.filter((result) => summaryOf(result)['outcome'] === 'skipped');
      if (winner === undefined || loser === undefined) {
        throw new Error('expected one ran and one skipped execution');
      }
      expect(summaryOf(loser)['holder']).toBe(winner.executionArn);
      expect((await fresh.store.read('cron'))?.owner).toBe(winner.executionArn);
    } finally {
      await fresh.close();
    }
  });

  it('C5: each execution is its own owner', async () => {
    await freeLock();
    const { ecs } = harness.createEcs({ taskCommand: 'true' });

    const first = await harness.run(ecs, { executionName: 'cron-host', input: { minHoldSeconds: 0 } });
    const second = await harness.run(ecs, { input: { minHoldSeconds: 0 } });
    const third = await harness.run(ecs, { input: { minHoldSeconds: 0 } });

    const owners = [first, second, third].map((result) => summaryOf(result)['owner']);
    expect(new Set(owners).size).toBe(3);
    expect(owners[0]).toBe(first.executionArn);
    await expect(harness.run(ecs, { executionName: 'cron-host' })).rejects.toThrow(/ExecutionAlreadyExists/);
  });

  it('C8: acquire retried after commit runs once', async () => {
    await freeLock();
    const { ecs } = harness.createEcs({ taskCommand: 'true' });
    let acquireCalls = 0;
    const dieAfterFirstCommit = (stateName: string, handler: LocalTaskHandler): LocalTaskHandler => async (input) => {
      const result = await handler(input);
      if (stateName === 'AcquireLock' && acquireCalls++ === 0) {
        const timeout = new Error('Task timed out after 30.00 seconds');
        timeout.name = 'Sandbox.Timedout';
        throw timeout;
      }
      return result;
    };

    const result = await harness.run(ecs, { input: {}, wrapHandler: dieAfterFirstCommit, retryIntervalOverrides: { AcquireLock: 0 } });

    expect(result.status).toBe('SUCCEEDED');
    expect(acquireCalls).toBe(2);
    expect(result.events.filter((event) => event.type === 'StateRetried' && event.state?.name === 'AcquireLock')).toHaveLength(1);
    expect(summaryOf(result)['outcome']).toBe('ran');
    expect(ecs.tasks).toHaveLength(1);
    const row = await harness.store.read('cron');
    expect(row?.fencingToken).toBe(summaryOf(result)['fencingToken']);
  });

  it('C8: release retried after commit succeeds', async () => {
    await freeLock();
    const { ecs } = harness.createEcs({ taskCommand: 'true' });
    let releaseCalls = 0;
    const dieAfterFirstCommit = (stateName: string, handler: LocalTaskHandler): LocalTaskHandler => async (input) => {
      const result = await handler(input);
      if (stateName === 'ReleaseLock' && releaseCalls++ === 0) {
        const lost = new Error('Lambda service error');
        lost.name = 'Lambda.ServiceException';
        throw lost;
      }
      return result;
    };

    const result = await harness.run(ecs, { input: {}, wrapHandler: dieAfterFirstCommit, retryIntervalOverrides: { ReleaseLock: 0 } });

    expect(result.status).toBe('SUCCEEDED');
    expect(releaseCalls).toBe(2);
    expect(summaryOf(result)['releaseStatus']).toBe('already-released');
    expect(ecs.tasks).toHaveLength(1);
  });
});
