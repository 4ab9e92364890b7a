import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '@aws-lambda-powertools/logger';
import { acquireLease } from '../../functions/acquire-lock/acquire.ts';
import { releaseLease } from '../../functions/release-lock/release.ts';
import { createLogger } from '../../functions/shared/step-handler.ts';
import { LeaseStore } from '../../functions/shared/lease/lease-store.ts';
import { OWNER_MAX_LENGTH } from '../../functions/shared/lease/lease-sql.ts';
import type { SqlExecutor, SqlParameters, SqlResult } from '../../functions/shared/store/sql-executor.ts';
import { settingsFor } from './settings-fixture.ts';

/**
 * One session on the lock store under test. `setDatabaseTime` moves the database clock of this
 * session (MariaDB's `SET timestamp`), which UTC_TIMESTAMP(6) follows; null returns to real time.
 */
export interface LeaseHarness {
  readonly executor: SqlExecutor;
  setDatabaseTime(iso: string | null): Promise<void>;
  close(): Promise<void>;
}

const TABLE = 'tblcronlock';
const E1 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e1-cron-host';
const E2 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e2-cron-host';
const E3 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e3-cron-host';
const DAY = '2026-03-02';

/** Database time on the test day, in UTC. */
function at(time: string): string {
  return `${DAY}T${time}Z`;
}

/** Expected ISO text of a stored instant: microseconds, UTC. */
function stored(time: string): string {
  const [whole, fraction = ''] = time.split('.');
  return `${DAY}T${whole}.${fraction.padEnd(6, '0')}Z`;
}

/** Records every statement, to check what the lease code sends. */
class RecordingExecutor implements SqlExecutor {
  readonly statements: { sql: string; parameters: SqlParameters }[] = [];
  readonly #inner: SqlExecutor;

  constructor(inner: SqlExecutor) {
    this.#inner = inner;
  }

  execute(sql: string, parameters: SqlParameters = {}): Promise<SqlResult> {
    this.statements.push({ sql, parameters });
    return this.#inner.execute(sql, parameters);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * Defines the lease rules' tests, run unchanged against every lock store backend. Times follow the field
 * reports: the database clock is set for each step, the caller's clock never decides.
 */
export function describeLeaseContract(backendName: string, createHarness: () => Promise<LeaseHarness>): void {
  describe(`lease contract (${backendName})`, () => {
    let harness: LeaseHarness;
    let store: LeaseStore;
    const extraHarnesses: LeaseHarness[] = [];

    async function atTime(time: string): Promise<void> {
      await harness.setDatabaseTime(at(time));
    }

    beforeEach(async () => {
      harness = await createHarness();
      store = new LeaseStore(harness.executor, TABLE);
      await harness.executor.execute(`DROP TABLE IF EXISTS ${TABLE}`);
      await store.ensureTable();
    });

    afterEach(async () => {
      vi.useRealTimers();
      for (const extra of extraHarnesses.splice(0)) {
        await extra.close();
      }
      await harness.close();
    });

    it('creates the table and row idempotently', async () => {
      await store.ensureTable();
      expect(await store.insertRow('cron')).toBe(true);
      expect(await store.insertRow('cron')).toBe(false);

      const row = await store.read('cron');
      expect(row?.owner).toBeNull();
      expect(row?.fencingToken).toBe(0);
      expect(row?.lockUntil).toBeNull();
    });

    it('C1: concurrent first acquires on an empty table leave one owner', async () => {
      const second = await createHarness();
      extraHarnesses.push(second);
      const otherStore = new LeaseStore(second.executor, TABLE);

      const [first, other] = await Promise.all([
        store.insertRow('cron').then(() => store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 })),
        new Promise((resolve) => setTimeout(resolve, 50))
          .then(() => otherStore.insertRow('cron'))
          .then(() => otherStore.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 })),
      ]);

      expect([first.acquired, other.acquired].filter(Boolean)).toHaveLength(1);
      const winner = first.acquired ? E1 : E2;
      const row = await store.read('cron');
      expect(row?.owner).toBe(winner);
      expect(row?.fencingToken).toBe(1);
      const loser = first.acquired ? other : first;
      expect(loser.lease.owner).toBe(winner);
    });

    it('C2: a crashed holder blocks until exactly lock_until', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00.000');
      expect((await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 })).acquired).toBe(true);

      for (const time of ['10:05:00', '10:10:00', '10:15:00', '10:20:00', '10:25:00', '10:29:59.999', '10:29:59.999999']) {
        await atTime(time);
        const attempt = await store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 });
        expect(attempt.acquired, `attempt at ${time}`).toBe(false);
        expect(attempt.lease.owner).toBe(E1);
        expect(attempt.lease.lockUntil).toBe(stored('10:30:00'));
      }

      await atTime('10:30:00.000');
      const taken = await store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 });
      expect(taken.acquired).toBe(true);
      expect(taken.lease.owner).toBe(E2);
      expect(taken.lease.fencingToken).toBe(2);
      expect(taken.lease.lockUntil).toBe(stored('11:00:00'));
    });

    it('C2: skip output names the holder and lease end', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00.000');
      await acquireLease(settingsFor(E1), store, silentLogger());

      await atTime('10:05:00');
      const skipped = await acquireLease(settingsFor(E2), store, silentLogger());
      expect(skipped.lease.acquired).toBe(false);
      expect(skipped.summary.outcome).toBe('skipped');
      expect(skipped.summary.holder).toBe(E1);
      expect(skipped.summary.lockUntil).toBe(stored('10:30:00'));
      expect(skipped.summary.message).toContain(E1);
      expect(skipped.summary.message).toContain(stored('10:30:00'));
    });

    it('C3: a wrong caller clock changes nothing', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      const before = await store.read('cron');

      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(at('10:31:00')));
      await atTime('10:01:00');
      const attempt = await acquireLease(settingsFor(E2), store, silentLogger());

      expect(attempt.lease.acquired).toBe(false);
      expect(attempt.lease.holder).toBe(E1);
      const after = await store.read('cron');
      expect({ ...after, databaseTime: null }).toEqual({ ...before, databaseTime: null });
    });

    it('C3: lease statements carry no caller time', async () => {
      const recorder = new RecordingExecutor(harness.executor);
      const recordedStore = new LeaseStore(recorder, TABLE);
      await recordedStore.ensureTable();
      await recordedStore.insertRow('cron');
      const { lease } = await recordedStore.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await recordedStore.release({ lockName: 'cron', owner: E1, fencingToken: lease.fencingToken, minHoldSeconds: 240 });
      await recordedStore.release({ lockName: 'cron', owner: E1, fencingToken: lease.fencingToken, minHoldSeconds: 240 });

      expect(recorder.statements.length).toBeGreaterThanOrEqual(6);
      for (const { sql, parameters } of recorder.statements) {
        expect(sql).not.toMatch(/\bNOW\(|CURRENT_TIMESTAMP|SYSDATE|LOCALTIME|UNIX_TIMESTAMP/i);
        for (const value of Object.values(parameters)) {
          expect(String(value), `parameter in ${sql}`).not.toMatch(/\d{4}-\d{2}-\d{2}/);
        }
      }
    });

    it('C3: session time zone does not shift stored times', async () => {
      await store.insertRow('cron');
      await harness.executor.execute("SET time_zone = '+09:00'");
      await atTime('10:00:00');
      const { lease } = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await harness.executor.execute("SET time_zone = '-05:00'");
      const row = await store.read('cron');

      expect(lease.lockedAt).toBe(stored('10:00:00'));
      expect(row?.lockUntil).toBe(stored('10:30:00'));
      expect(row?.databaseTime).toBe(stored('10:00:00'));
    });

    it('C4: a late release leaves the new lease alone', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      const first = await acquireLease(settingsFor(E1), store, silentLogger());
      await atTime('10:30:05');
      const second = await store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 });
      expect(second.acquired).toBe(true);

      await atTime('10:35:00');
      const logger = silentLogger();
      const warn = vi.spyOn(logger, 'warn');
      const release = await releaseLease(
        { settings: first.settings, lease: first.lease, task: { Containers: [{ Name: 'whmcs', ExitCode: 0 }] } },
        store,
        logger,
      );

      expect(release.summary.releaseStatus).toBe('lost');
      expect(release.summary.outcome).toBe('ran');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[1]).toMatchObject({ owner: E1, currentOwner: E2, currentFencingToken: 2 });
      const row = await store.read('cron');
      expect(row?.owner).toBe(E2);
      expect(row?.fencingToken).toBe(2);
      expect(row?.releasedAt).toBeNull();
      expect(row?.lockUntil).toBe(stored('11:00:05'));

      await atTime('10:35:10');
      const third = await store.acquire({ lockName: 'cron', owner: E3, holdSeconds: 1800 });
      expect(third.acquired).toBe(false);
      expect(third.lease.owner).toBe(E2);
    });

    it('C5: callers on one host still get distinct owners', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00.400');
      expect((await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 })).acquired).toBe(true);
      await atTime('10:00:00.900');
      const second = await store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 });

      expect(second.acquired).toBe(false);
      expect(second.lease.owner).toBe(E1);
    });

    it('C5: owners longer than the column are rejected', async () => {
      await store.insertRow('cron');
      const longOwner = `${E1}-${'x'.repeat(OWNER_MAX_LENGTH)}`;

      await expect(store.acquire({ lockName: 'cron', owner: longOwner, holdSeconds: 1800 })).rejects.toThrow(/owner must be 1 to 255/);
      expect((await store.read('cron'))?.owner).toBeNull();
    });

    it('C6: a duplicate trigger skips during the minimum hold', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00.2');
      const first = await acquireLease(settingsFor(E1), store, silentLogger());
      await atTime('10:00:41');
      const released = await releaseLease(
        { settings: first.settings, lease: first.lease, task: { Containers: [{ Name: 'whmcs', ExitCode: 0 }] } },
        store,
        silentLogger(),
      );
      expect(released.summary.releaseStatus).toBe('released');
      expect(released.summary.lockUntil).toBe(stored('10:04:00.2'));
      expect((await store.read('cron'))?.lockUntil).toBe(stored('10:04:00.2'));

      await atTime('10:00:50');
      const duplicate = await acquireLease(settingsFor(E2), store, silentLogger());
      expect(duplicate.lease.acquired).toBe(false);
      expect(duplicate.summary.lockUntil).toBe(stored('10:04:00.2'));
      expect(duplicate.summary.message).toContain(`until ${stored('10:04:00.2')}`);

      await atTime('10:04:00.2');
      expect((await store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 })).acquired).toBe(true);
    });

    it('release never extends past lock_until', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      const { lease } = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 300 });
      await atTime('10:01:00');
      await store.release({ lockName: 'cron', owner: E1, fencingToken: lease.fencingToken, minHoldSeconds: 600 });

      expect((await store.read('cron'))?.lockUntil).toBe(stored('10:05:00'));
    });

    it('release after the minimum hold frees at once', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      const { lease } = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await atTime('10:12:34.5');
      await store.release({ lockName: 'cron', owner: E1, fencingToken: lease.fencingToken, minHoldSeconds: 240 });

      const row = await store.read('cron');
      expect(row?.lockUntil).toBe(stored('10:12:34.5'));
      expect(row?.releasedAt).toBe(stored('10:12:34.5'));
      expect((await store.acquire({ lockName: 'cron', owner: E2, holdSeconds: 1800 })).acquired).toBe(true);
    });

    it('C8: a retried acquire keeps token and lease', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      const first = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await atTime('10:00:45');
      const retried = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });

      expect(retried.acquired).toBe(true);
      expect(retried.lease.fencingToken).toBe(first.lease.fencingToken);
      expect(retried.lease.lockedAt).toBe(stored('10:00:00'));
      expect(retried.lease.lockUntil).toBe(stored('10:30:00'));
    });

    it('C8: a retried release succeeds', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      const { lease } = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await atTime('10:10:00');
      const request = { lockName: 'cron', owner: E1, fencingToken: lease.fencingToken, minHoldSeconds: 240 };

      expect((await store.release(request)).status).toBe('released');
      await atTime('10:10:05');
      expect((await store.release(request)).status).toBe('already-released');
      expect((await store.read('cron'))?.releasedAt).toBe(stored('10:10:00'));
    });

    it('C8: a released lease is not re-taken by its owner', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await atTime('10:01:00');
      await store.release({ lockName: 'cron', owner: E1, fencingToken: 1, minHoldSeconds: 240 });
      await atTime('10:02:00');

      expect((await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 })).acquired).toBe(false);
    });

    it('fencing token rises by one per acquisition', async () => {
      await store.insertRow('cron');
      const tokens: number[] = [];
      for (const [index, time] of ['10:00:00', '10:30:00', '11:00:00', '11:30:00'].entries()) {
        await atTime(time);
        const result = await store.acquire({ lockName: 'cron', owner: `${E1}-${index}`, holdSeconds: 1800 });
        tokens.push(result.lease.fencingToken);
      }

      expect(tokens).toEqual([1, 2, 3, 4]);
    });

    it('release with a stale token changes nothing', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await atTime('10:31:00');
      const again = await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      expect(again.lease.fencingToken).toBe(2);

      const stale = await store.release({ lockName: 'cron', owner: E1, fencingToken: 1, minHoldSeconds: 0 });
      expect(stale.status).toBe('lost');
      const row = await store.read('cron');
      expect(row?.releasedAt).toBeNull();
      expect(row?.lockUntil).toBe(stored('11:01:00'));
    });

    it('release without a token frees the owner', async () => {
      await store.insertRow('cron');
      await atTime('10:00:00');
      await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 });
      await atTime('10:20:00');

      expect((await store.release({ lockName: 'cron', owner: E1, fencingToken: null, minHoldSeconds: 0 })).status).toBe('released');
      expect((await store.read('cron'))?.lockUntil).toBe(stored('10:20:00'));
    });

    it('jobs lock independently', async () => {
      await store.insertRow('cron');
      await store.insertRow('pop');
      await atTime('10:00:00');

      expect((await store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 })).acquired).toBe(true);
      expect((await store.acquire({ lockName: 'pop', owner: E2, holdSeconds: 1800 })).acquired).toBe(true);
    });

    it('acquire without the row fails clearly', async () => {
      await expect(store.acquire({ lockName: 'cron', owner: E1, holdSeconds: 1800 })).rejects.toThrow(/Lock row "cron" is missing/);
    });

    it('rejects invalid table and lock names', () => {
      expect(() => new LeaseStore(harness.executor, 'tblcronlock; DROP TABLE x')).toThrow(/not allowed/);
      expect(() => new LeaseStore(harness.executor, '1table')).toThrow(/not allowed/);
      expect(() => new LeaseStore(harness.executor, 'a'.repeat(65))).toThrow(/not allowed/);
      return expect(store.insertRow('Cron Job')).rejects.toThrow(/not a valid lock name/);
    });
  });
}

function silentLogger(): Logger {
  return createLogger('SILENT');
}
