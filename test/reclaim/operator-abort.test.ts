import { describe, expect, it } from 'vitest';
import { executionStatusChangeSchema } from '../../functions/reclaim-lease/reclaim.ts';
import { executionStatusChangeEvent, LOCAL_STATE_MACHINE_ARN } from '../../local/runner.ts';
import { createFaultWorld, waitFor } from '../faults/fault-world.ts';

const INPUT = { holdSeconds: 60, minHoldSeconds: 0 };

function summaryOf(output: unknown): Record<string, unknown> {
  return (output as { summary: Record<string, unknown> }).summary;
}

describe('operator aborts a running execution', () => {
  it('C11: lease freed after a slow stop, next run acquires', async () => {
    const world = await createFaultWorld({ mode: 'slow-stop', stopGraceSeconds: 10, probeStopMilliseconds: 3000 });
    try {
      const e1 = await world.start({ input: INPUT });
      await waitFor('the cron of E1 to start', () => (world.probeEvents().some((event) => event.event === 'start') ? true : undefined));

      e1.abort();
      await waitFor('the cron of E1 to get SIGTERM', () => (world.probeEvents().some((event) => event.event === 'sigterm') ? true : undefined));
      const e2 = await world.run({ input: INPUT });
      const e1Result = await e1.result;
      const rowAfterE1 = await world.lockRow();
      world.setMode('succeed');
      const e3 = await world.run({ input: INPUT });

      expect(e1Result.status).toBe('ABORTED');
      expect(e1Result.reclaim?.event.detail).toMatchObject({ executionArn: e1.executionArn, status: 'ABORTED', stateMachineArn: LOCAL_STATE_MACHINE_ARN, input: JSON.stringify(INPUT) });
      expect(e1Result.reclaim?.result).toMatchObject({ reclaimed: true, releaseStatus: 'released' });

      // E2 came during the 3 s stop: the lease was still E1's and its task still running.
      expect(summaryOf(e2.output)['outcome']).toBe('skipped');
      expect(summaryOf(e2.output)['holder']).toBe(e1.executionArn);
      expect(world.tasksOf(e2.executionArn)).toHaveLength(0);

      const [e1Task] = world.tasksOf(e1.executionArn);
      expect(e1Task?.stopCode).toBe('UserInitiated');
      expect(e1Task?.containers).toEqual([{ name: 'whmcs', exitCode: 0, reason: null }]);
      // Freed within a minute of the task stopping, not at the end of the 60 s hold.
      expect(rowAfterE1?.owner).toBe(e1.executionArn);
      expect(rowAfterE1?.releasedAt).not.toBeNull();
      expect(Date.parse(rowAfterE1?.lockUntil ?? '') - (e1Task?.stoppedAtMilliseconds ?? Number.NaN)).toBeLessThan(60_000);
      expect(Date.parse(rowAfterE1?.lockUntil ?? '')).toBeLessThan(Date.parse(rowAfterE1?.lockedAt ?? '') + INPUT.holdSeconds * 1000);
      const e3Acquire = e3.events.find((event) => event.type === 'StateExited' && event.state?.name === 'AcquireLock')?.state?.output as { lease: { fencingToken: number } };
      expect(e3Acquire.lease.fencingToken).toBe(2);
      expect(summaryOf(e3.output)['outcome']).toBe('ran');

      const probeEvents = world.probeEvents();
      const sigterm = probeEvents.find((event) => event.event === 'sigterm' && event.owner === e1.executionArn);
      const e1End = probeEvents.find((event) => event.event === 'end' && event.owner === e1.executionArn);
      const e3Start = probeEvents.find((event) => event.event === 'start' && event.owner === e3.executionArn);
      expect(e1End?.atMilliseconds).toBeGreaterThanOrEqual((sigterm?.atMilliseconds ?? Number.POSITIVE_INFINITY));
      expect(e3Start?.atMilliseconds).toBeGreaterThan(e1End?.atMilliseconds ?? Number.POSITIVE_INFINITY);
      expect(probeEvents.filter((event) => event.event === 'start').flatMap((event) => event.overlapping ?? [])).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('abort without reclaim still stops the task', async () => {
    const world = await createFaultWorld({ mode: 'hang' });
    try {
      const execution = await world.start({ input: INPUT, reclaim: false });
      await waitFor('the cron to start', () => (world.probeEvents().some((event) => event.event === 'start') ? true : undefined));

      execution.abort();
      const result = await execution.result;
      await waitFor('the task to stop', () => (world.ecs.runningTasks().length === 0 ? true : undefined));

      expect(result.status).toBe('ABORTED');
      expect(result.reclaim).toBeNull();
      expect(world.tasksOf(execution.executionArn)[0]?.stoppedReason).toBe('Execution aborted');
      // Nothing released the lease: it ends by itself at its lock_until.
      expect((await world.lockRow())?.releasedAt).toBeNull();
    } finally {
      await world.close();
    }
  });

  it('status-change event matches the rule input', () => {
    const event = executionStatusChangeEvent({
      executionArn: `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:e1`,
      executionName: 'e1',
      status: 'FAILED',
      input: { job: 'cron' },
      startedAtMilliseconds: Date.parse('2026-12-04T10:00:00Z'),
      error: 'CronFailed',
      cause: '{}',
    });

    const parsed = executionStatusChangeSchema.parse(event);

    expect(parsed.detail).toEqual({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:cronlock-local:e1',
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      name: 'e1',
      status: 'FAILED',
      input: '{"job":"cron"}',
      error: 'CronFailed',
      cause: '{}',
    });
    expect(event.resources).toEqual([parsed.detail.executionArn]);
  });
});
