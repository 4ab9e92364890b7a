import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LockStoreError, LockStoreUnavailableError, TRANSIENT_LOCK_STORE_ERROR_NAMES } from '../../functions/shared/errors.ts';
import { parseDatabaseDatetime } from '../../functions/shared/lease/database-time.ts';
import {
  createDataApiExecutor,
  createDefaultDataApiClient,
  toSqlParameters,
} from '../../functions/shared/store/data-api-executor.ts';
import { startLocalDataApi, type DataApiErrorName } from '../../local/data-api-server.ts';
import { startDataApiFixture, type DataApiFixture } from './local-data-api.ts';

/** Settles a promise into its rejection reason, or its value when it did not reject. */
function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((value) => value, (error: unknown) => error);
}

describe('toSqlParameters', () => {
  it.each([
    ['text', 'cron', { stringValue: 'cron' }, undefined],
    ['integer', 1800, { longValue: 1800 }, undefined],
    ['negative integer', -5, { longValue: -5 }, undefined],
    ['fraction', 0.25, { doubleValue: 0.25 }, undefined],
    ['integer beyond 2^53', 2 ** 60, { doubleValue: 2 ** 60 }, undefined],
    ['null', null, { isNull: true }, undefined],
    ['datetime', '2024-05-01 10:30:00', { stringValue: '2024-05-01 10:30:00' }, 'TIMESTAMP'],
    ['datetime with fraction', '2024-05-01 10:30:00.32', { stringValue: '2024-05-01 10:30:00.32' }, 'TIMESTAMP'],
    ['datetime with microseconds', '2024-05-01 10:30:00.123456', { stringValue: '2024-05-01 10:30:00.123456' }, 'TIMESTAMP'],
    ['ISO 8601 text', '2024-05-01T10:30:00Z', { stringValue: '2024-05-01T10:30:00Z' }, undefined],
    ['date only', '2024-05-01', { stringValue: '2024-05-01' }, undefined],
  ])('maps %s', (_case, value, expectedValue, expectedHint) => {
    const [parameter] = toSqlParameters({ p: value });

    expect(parameter?.name).toBe('p');
    expect(parameter?.value).toEqual(expectedValue);
    expect(parameter?.typeHint).toBe(expectedHint);
  });

  it('rejects NaN without its value', () => {
    expect(() => toSqlParameters({ holdSeconds: Number.NaN })).toThrow(/:holdSeconds is not a finite number/);
  });
});

describe('DataApiExecutor over the local Data API', () => {
  let fixture: DataApiFixture;

  beforeAll(async () => {
    fixture = await startDataApiFixture();
    await fixture.executor.execute(`CREATE TABLE value_types (
  id INT AUTO_INCREMENT PRIMARY KEY,
  token BIGINT UNSIGNED NOT NULL,
  name VARCHAR(64) NOT NULL,
  note TEXT NULL,
  ratio DOUBLE NULL,
  amount DECIMAL(10,2) NULL,
  at DATETIME(6) NULL,
  payload VARBINARY(16) NULL,
  flag TINYINT(1) NULL
)`);
    await fixture.executor.execute('CREATE TABLE counters (id INT PRIMARY KEY, hits INT NOT NULL)');
  });

  afterAll(async () => {
    await fixture.close();
  });

  beforeEach(() => {
    fixture.api.faults.clear();
  });

  it('round-trips every value type', async () => {
    const inserted = await fixture.executor.execute(
      `INSERT INTO value_types (token, name, note, ratio, amount, at, payload, flag)
VALUES (:token, :name, :note, :ratio, :amount, :at, :payload, :flag)`,
      { token: 42, name: "it's :not_a_parameter", note: null, ratio: 0.25, amount: '12.50', at: '2024-05-01 10:30:00.32', payload: 'abc', flag: 1 },
    );
    expect(inserted.updateCount).toBe(1);

    const { rows } = await fixture.executor.execute(
      `SELECT id, token, name, note, ratio, amount, at, payload, flag,
       token + 1 AS next_token, (flag = 1) AS flag_set
FROM value_types WHERE name = :name`,
      { name: "it's :not_a_parameter" },
    );

    expect(rows).toEqual([
      {
        id: 1,
        token: 42,
        name: "it's :not_a_parameter",
        note: null,
        ratio: 0.25,
        amount: '12.50',
        at: '2024-05-01 10:30:00.32',
        payload: 'abc',
        flag: 1,
        next_token: 43,
        flag_set: 1,
      },
    ]);
  });

  it('keys rows by column label', async () => {
    const { rows } = await fixture.executor.execute("SELECT 1 AS first_label, 'x' AS second_label");

    expect(rows).toEqual([{ first_label: 1, second_label: 'x' }]);
  });

  it('returns no rows for an empty result', async () => {
    const result = await fixture.executor.execute('SELECT id FROM value_types WHERE id = :id', { id: -1 });

    expect(result.rows).toEqual([]);
    expect(result.updateCount).toBe(0);
  });

  it('reports numberOfRecordsUpdated as updateCount', async () => {
    const first = await fixture.executor.execute('INSERT IGNORE INTO counters (id, hits) VALUES (:id, 0)', { id: 1 });
    const duplicate = await fixture.executor.execute('INSERT IGNORE INTO counters (id, hits) VALUES (:id, 0)', { id: 1 });
    await fixture.executor.execute('INSERT IGNORE INTO counters (id, hits) VALUES (:id, 0)', { id: 2 });
    const updated = await fixture.executor.execute('UPDATE counters SET hits = hits + :step', { step: 1 });

    expect(first.updateCount).toBe(1);
    expect(duplicate.updateCount).toBe(0);
    expect(updated.updateCount).toBe(2);
  });

  it('returns DATETIME(6) text without trailing zeros', async () => {
    await fixture.executor.execute('CREATE TABLE instants (position INT PRIMARY KEY, at DATETIME(6) NOT NULL)');
    const stored = [
      '2024-05-01 10:30:00.000000',
      '2024-05-01 10:30:00.100000',
      '2024-05-01 10:30:00.120000',
      '2024-05-01 10:30:00.123000',
      '2024-05-01 10:30:00.123400',
      '2024-05-01 10:30:00.123450',
      '2024-05-01 10:30:00.123456',
      '2024-05-01 10:30:00.000001',
    ];
    for (const [position, at] of stored.entries()) {
      await fixture.executor.execute('INSERT INTO instants (position, at) VALUES (:position, :at)', { position, at });
    }

    const { rows } = await fixture.executor.execute('SELECT at FROM instants ORDER BY position');
    const texts = rows.map((row) => row['at']);

    expect(texts).toEqual([
      '2024-05-01 10:30:00',
      '2024-05-01 10:30:00.1',
      '2024-05-01 10:30:00.12',
      '2024-05-01 10:30:00.123',
      '2024-05-01 10:30:00.1234',
      '2024-05-01 10:30:00.12345',
      '2024-05-01 10:30:00.123456',
      '2024-05-01 10:30:00.000001',
    ]);
    expect(texts.map((text) => parseDatabaseDatetime(text as string).iso)).toEqual(stored.map((text) => `${text.replace(' ', 'T')}Z`));
  });

  it('reads the database clock that the endpoint sets', async () => {
    await fixture.api.setDatabaseTime('2024-05-01T10:30:00.120000Z');
    try {
      const { rows } = await fixture.executor.execute('SELECT UTC_TIMESTAMP(6) AS now');

      expect(rows).toEqual([{ now: '2024-05-01 10:30:00.12' }]);
    } finally {
      await fixture.api.setDatabaseTime(null);
    }
  });

  it('close keeps a client passed in', async () => {
    const borrowing = createDataApiExecutor({
      resourceArn: fixture.api.resourceArn,
      secretArn: fixture.api.secretArn,
      database: fixture.api.database,
      client: fixture.client,
    });
    await borrowing.close();

    const { rows } = await fixture.executor.execute('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  describe('error classification', () => {
    const transientNames = TRANSIENT_LOCK_STORE_ERROR_NAMES.filter((name) => name !== 'LockStoreConnectionError');

    it.each(transientNames)('%s keeps its name and is transient', async (name) => {
      fixture.api.faults.failNext(name);
      const callsBefore = fixture.api.calls.length;

      const error = await settle(fixture.executor.execute('SELECT 1'));

      expect(error).toBeInstanceOf(LockStoreUnavailableError);
      expect((error as Error).name).toBe(name);
      expect((error as Error).message).toContain(`Lock store unavailable (${name})`);
      expect(((error as Error).cause as Error).name).toBe(name);
      expect(fixture.api.calls.length - callsBefore).toBe(1);
    });

    it.each<[DataApiErrorName, RegExp]>([
      ['BadRequestException', /Check the statement/],
      ['DatabaseErrorException', /Check the statement/],
      ['HttpEndpointNotEnabledException', /Enable the Data API \(HTTP endpoint\) on cluster arn:aws:rds:/],
      ['ForbiddenException', /rds-data:ExecuteStatement .* secretsmanager:GetSecretValue on arn:aws:secretsmanager:/],
      ['AccessDeniedException', /rds-data:ExecuteStatement .* secretsmanager:GetSecretValue/],
      ['SecretsErrorException', /grant secretsmanager:GetSecretValue/],
      ['InvalidSecretException', /username and password/],
      ['DatabaseNotFoundException', /CRONLOCK_DATABASE_NAME/],
      ['NotFoundException', /exist in the same account and region/],
      ['InvalidResourceStateException', /status of cluster/],
    ])('%s is a LockStoreError saying what to fix', async (name, advice) => {
      fixture.api.faults.failNext(name);

      const error = await settle(fixture.executor.execute('SELECT 1'));

      expect(error).toBeInstanceOf(LockStoreError);
      expect((error as Error).name).toBe('LockStoreError');
      expect((error as Error).message).toContain(`failed with ${name}`);
      expect((error as Error).message).toMatch(advice);
      expect(((error as Error).cause as Error).name).toBe(name);
    });

    it('SQL error is a LockStoreError', async () => {
      const error = await settle(fixture.executor.execute('SELEC 1'));

      expect(error).toBeInstanceOf(LockStoreError);
      expect((error as Error).message).toContain('BadRequestException');
      expect((error as Error).message).toContain('Database error code: 1064');
    });

    it('unknown database is a LockStoreError', async () => {
      const elsewhere = createDataApiExecutor({
        resourceArn: fixture.api.resourceArn,
        secretArn: fixture.api.secretArn,
        database: 'no_such_database',
        client: fixture.client,
      });

      const error = await settle(elsewhere.execute('SELECT 1'));

      expect(error).toBeInstanceOf(LockStoreError);
      expect((error as Error).message).toContain('failed with DatabaseNotFoundException');
      expect((error as Error).message).toContain('"no_such_database" (CRONLOCK_DATABASE_NAME)');
    });

    it('messages leave out parameter values', async () => {
      const secretLooking = 'hunter2-parameter-value';

      const error = await settle(fixture.executor.execute('INSERT INTO counters (id, hits) VALUES (:id, :hits)', { id: 99, hits: secretLooking }));

      expect(error).toBeInstanceOf(LockStoreError);
      expect((error as Error).message).toContain('Incorrect integer value');
      expect((error as Error).message).toContain('<:hits>');
      expect((error as Error).message).not.toContain(secretLooking);
    });

    it('lost response after commit is transient', async () => {
      await fixture.executor.execute('INSERT IGNORE INTO counters (id, hits) VALUES (:id, 0)', { id: 10 });
      fixture.api.faults.dropAfterCommit({ sqlPrefix: 'UPDATE' });

      const error = await settle(fixture.executor.execute('UPDATE counters SET hits = 7 WHERE id = :id', { id: 10 }));

      expect(error).toBeInstanceOf(LockStoreUnavailableError);
      expect((error as Error).name).toBe('LockStoreConnectionError');
      expect((error as Error).message).toContain('may or may not have run');
      const { rows } = await fixture.executor.execute('SELECT hits FROM counters WHERE id = :id', { id: 10 });
      expect(rows).toEqual([{ hits: 7 }]);
      expect(fixture.api.calls.at(-2)?.outcome).toBe('dropped');
    });

    it('refused connection is a connection error', async () => {
      const stopped = await startLocalDataApi({ databaseUrl: fixture.databaseUrl });
      const client = stopped.createClient();
      await stopped.close();
      const executor = createDataApiExecutor({ resourceArn: stopped.resourceArn, secretArn: stopped.secretArn, database: stopped.database, client });

      const error = await settle(executor.execute('SELECT 1'));
      client.destroy();

      expect(error).toBeInstanceOf(LockStoreUnavailableError);
      expect((error as Error).name).toBe('LockStoreConnectionError');
      expect((error as Error).message).toContain('ECONNREFUSED');
    });

    it('request timeout is a connection error', async () => {
      const client = fixture.api.createClient({ requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true } });
      const executor = createDataApiExecutor({ resourceArn: fixture.api.resourceArn, secretArn: fixture.api.secretArn, database: fixture.api.database, client });
      fixture.api.faults.delayNext(2_000);

      const error = await settle(executor.execute('SELECT 1'));
      client.destroy();

      expect(error).toBeInstanceOf(LockStoreUnavailableError);
      expect((error as Error).name).toBe('LockStoreConnectionError');
      expect((error as Error).message).toContain('TimeoutError');
    });
  });

  describe('default client', () => {
    it('takes its region from the cluster ARN', async () => {
      const client = createDefaultDataApiClient('arn:aws:rds:eu-west-1:123456789012:cluster:whmcs');

      expect(await client.config.region()).toBe('eu-west-1');
      expect(await client.config.maxAttempts()).toBe(1);
      client.destroy();
    });

    it('sends each statement once', async () => {
      const overrides = {
        endpoint: fixture.api.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCALDATAAPI', secretAccessKey: 'local-data-api-secret' },
      };
      const retrying = new RDSDataClient({ ...overrides, maxAttempts: 3 });
      const single = createDefaultDataApiClient(fixture.api.resourceArn, { ...overrides, maxAttempts: 3 });
      const target = { resourceArn: fixture.api.resourceArn, secretArn: fixture.api.secretArn, database: fixture.api.database };

      // The SDK's standard retry mode retries a 500 InternalServerErrorException.
      fixture.api.faults.failNext('InternalServerErrorException', { count: 3 });
      const before = fixture.api.calls.length;
      await expect(createDataApiExecutor({ ...target, client: retrying }).execute('SELECT 1')).rejects.toThrow(LockStoreUnavailableError);
      const retryingCalls = fixture.api.calls.length - before;

      fixture.api.faults.failNext('InternalServerErrorException', { count: 3 });
      const middle = fixture.api.calls.length;
      await expect(createDataApiExecutor({ ...target, client: single }).execute('SELECT 1')).rejects.toThrow(LockStoreUnavailableError);
      const singleCalls = fixture.api.calls.length - middle;
      retrying.destroy();
      single.destroy();

      expect(retryingCalls).toBe(3);
      expect(singleCalls).toBe(1);
    });
  });
});
