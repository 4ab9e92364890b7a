import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countInvoices, demoCronCommand, resetDemoTables } from '../../local/demo.ts';
import { createWorkflowHarness, summaryOf, type WorkflowHarness } from './harness.ts';

const ROUNDS = 20;
const EXECUTIONS_PER_ROUND = 20;

describe('concurrent executions', () => {
  let harness: WorkflowHarness;

  beforeAll(async () => {
    harness = await createWorkflowHarness(10);
    await resetDemoTables(harness.executor);
  });

  afterAll(async () => {
    await harness.close();
  });

  it(`${ROUNDS} rounds of ${EXECUTIONS_PER_ROUND} run one cron each`, async () => {
    const { ecs } = harness.createEcs({
      taskCommand: demoCronCommand(),
      environment: { DEMO_DATABASE_URL: harness.databaseUrl, DEMO_WORK_MILLISECONDS: '100' },
    });

    for (let round = 0; round < ROUNDS; round += 1) {
      // Each round bills a new due date, so an invoice repeated across rounds is not a duplicate.
      await harness.executor.execute('UPDATE demo_services SET next_due_date = DATE(\'2026-01-01\') + INTERVAL :round DAY', { round });
      const tasksBefore = ecs.tasks.length;

      const results = await Promise.all(
        Array.from({ length: EXECUTIONS_PER_ROUND }, () => harness.run(ecs, { input: { job: 'cron', minHoldSeconds: 0 } })),
      );

      const outcomes = results.map((result) => (result.status === 'SUCCEEDED' ? summaryOf(result)['outcome'] : result.error));
      expect(outcomes.filter((outcome) => outcome === 'ran'), `round ${round}`).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'skipped'), `round ${round}`).toHaveLength(EXECUTIONS_PER_ROUND - 1);
      expect(ecs.tasks.length - tasksBefore, `round ${round}`).toBe(1);
    }

    const intervals = ecs.tasks
      .map((task) => [task.startedAtMilliseconds, task.stoppedAtMilliseconds ?? Number.POSITIVE_INFINITY] as const)
      .sort((left, right) => left[0] - right[0]);
    for (let index = 1; index < intervals.length; index += 1) {
      expect(intervals[index]?.[0]).toBeGreaterThanOrEqual(intervals[index - 1]?.[1] ?? 0);
    }
    const invoices = await countInvoices(harness.executor);
    expect(invoices.duplicates).toBe(0);
    expect(invoices.invoices).toBe(invoices.services * ROUNDS);
  }, 300_000);
});
