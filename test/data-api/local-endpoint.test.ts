import { ExecuteStatementCommand } from '@aws-sdk/client-rds-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bindNamedParameters, startLocalDataApi, toUnixSecondsText } from '../../local/data-api-server.ts';
import { startDataApiFixture, type DataApiFixture } from './local-data-api.ts';

const SIGNED = 'AWS4-HMAC-SHA256 Credential=AKIDLOCALDATAAPI/20240501/us-east-1/rds-data/aws4_request, SignedHeaders=host, Signature=0';

function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((value) => value, (error: unknown) => error);
}

describe('bindNamedParameters', () => {
  const text = (name: string, value: string) => ({ name, value: { stringValue: value } });
  const long = (name: string, value: number) => ({ name, value: { longValue: value } });

  it('replaces each use of a name', () => {
    expect(bindNamedParameters('SELECT :a, :b, :a', [long('a', 1), text('b', "it's")])).toBe("SELECT 1, 'it\\'s', 1");
  });

  it('leaves quoted text and comments alone', () => {
    const sql = "SELECT ':a', \"x:a\", `c:a`, '10:30:00' -- :a\n, :a /* :a */ # :a";

    expect(bindNamedParameters(sql, [long('a', 5)])).toBe("SELECT ':a', \"x:a\", `c:a`, '10:30:00' -- :a\n, 5 /* :a */ # :a");
  });

  it('handles escaped quotes inside text', () => {
    expect(bindNamedParameters("SELECT 'it''s :a', 'a\\':a', :a", [long('a', 2)])).toBe("SELECT 'it''s :a', 'a\\':a', 2");
  });

  it('ignores assignments and names inside words', () => {
    expect(bindNamedParameters('SELECT @x := 1, a:b, :b', [long('b', 3)])).toBe('SELECT @x := 1, a:b, 3');
  });

  it('binds null, double, boolean and blob', () => {
    const sql = bindNamedParameters('SELECT :n, :d, :t, :f, :blob', [
      { name: 'n', value: { isNull: true } },
      { name: 'd', value: { doubleValue: 0.5 } },
      { name: 't', value: { booleanValue: true } },
      { name: 'f', value: { booleanValue: false } },
      { name: 'blob', value: { blobValue: Buffer.from('ab').toString('base64') } },
    ]);

    expect(sql).toBe("SELECT NULL, 0.5, TRUE, FALSE, X'6162'");
  });

  it('rejects a name without a value', () => {
    expect(() => bindNamedParameters('SELECT :missing', [])).toThrow('No value specified for parameter: missing');
  });

  it('rejects a malformed TIMESTAMP', () => {
    expect(() => bindNamedParameters('SELECT :at', [{ name: 'at', value: { stringValue: '2024-05-01T10:30:00Z' }, typeHint: 'TIMESTAMP' }])).toThrow(/typeHint TIMESTAMP/);
  });
});

describe('toUnixSecondsText', () => {
  it.each([
    ['2024-05-01T10:30:00Z', '1714559400.000000'],
    ['2024-05-01T10:30:00.5Z', '1714559400.500000'],
    ['2024-05-01T10:30:00.123456Z', '1714559400.123456'],
    ['2026-03-02T10:29:59.999999Z', '1772447399.999999'],
  ])('converts %s', (iso, seconds) => {
    expect(toUnixSecondsText(iso)).toBe(seconds);
  });

  it.each(['2024-05-01 10:30:00', '2024-05-01T10:30:00+02:00', '2024-02-30T10:30:00Z', '2024-05-01T10:30:00.1234567Z', '1960-01-01T00:00:00Z'])(
    'rejects %s',
    (iso) => {
      expect(() => toUnixSecondsText(iso)).toThrow(RangeError);
    },
  );
});

describe('local Data API endpoint', () => {
  let fixture: DataApiFixture;

  beforeAll(async () => {
    fixture = await startDataApiFixture();
  });

  afterAll(async () => {
    await fixture.close();
  });

  beforeEach(() => {
    fixture.api.faults.clear();
  });

  function execute(sql: string, extra: Partial<ConstructorParameters<typeof ExecuteStatementCommand>[0]> = {}) {
    return fixture.client.send(new ExecuteStatementCommand({
      resourceArn: fixture.api.resourceArn,
      secretArn: fixture.api.secretArn,
      database: fixture.api.database,
      sql,
      ...extra,
    }));
  }

  it('listens on loopback only', async () => {
    await expect(startLocalDataApi({ databaseUrl: fixture.databaseUrl, host: '0.0.0.0' })).rejects.toThrow(/only on loopback/);
    expect(fixture.api.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('returns errors as the service does', async () => {
    const response = await fetch(`${fixture.api.endpoint}/Execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: SIGNED },
      body: JSON.stringify({ resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:other', secretArn: fixture.api.secretArn, sql: 'SELECT 1' }),
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ message: expect.stringContaining('Invalid cluster ARN') as unknown });
  });

  it('rejects unsigned and unknown requests', async () => {
    const unsigned = await fetch(`${fixture.api.endpoint}/Execute`, { method: 'POST', body: '{}' });
    const unknown = await fetch(`${fixture.api.endpoint}/BeginTransaction`, { method: 'POST', headers: { authorization: SIGNED }, body: '{}' });

    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });

  it('raises the named SDK exception', async () => {
    const wrongSecret = await settle(execute('SELECT 1', { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf' }));
    const wrongDatabase = await settle(execute('SELECT 1', { database: 'other' }));

    expect((wrongSecret as Error).name).toBe('BadRequestException');
    expect((wrongSecret as Error).message).toContain("Secrets Manager can't find the specified secret");
    expect((wrongDatabase as Error).name).toBe('DatabaseNotFoundException');
    expect((wrongDatabase as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(404);
  });

  it('returns column metadata only when asked', async () => {
    const bare = await execute("SELECT 7 AS seven, UTC_TIMESTAMP(6) AS now, 'x' AS letter");
    const described = await execute("SELECT 7 AS seven, UTC_TIMESTAMP(6) AS now, 'x' AS letter", { includeResultMetadata: true });

    expect(bare.columnMetadata).toBeUndefined();
    expect(bare.records?.[0]?.[0]).toEqual({ longValue: 7 });
    expect(described.columnMetadata?.map((column) => [column.label, column.typeName, column.type])).toEqual([
      ['seven', 'INT', 4],
      ['now', 'DATETIME', 93],
      ['letter', 'VARCHAR', 12],
    ]);
    expect(described.numberOfRecordsUpdated).toBe(0);
  });

  it('returns generated keys of an insert', async () => {
    await execute('CREATE TABLE generated (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(8))');

    const output = await execute("INSERT INTO generated (label) VALUES ('a')");

    expect(output.numberOfRecordsUpdated).toBe(1);
    expect(output.generatedFields).toEqual([{ longValue: 1 }]);
    expect(output.records).toBeUndefined();
  });

  it('sets the database time on every session', async () => {
    await fixture.api.setDatabaseTime('2001-02-03T04:05:06.789Z');
    // Concurrent calls borrow different pooled connections.
    const outputs = await Promise.all(Array.from({ length: 6 }, () => execute('SELECT UTC_TIMESTAMP(6) AS now, SLEEP(0.05) AS pause')));
    await fixture.api.setDatabaseTime(null);
    const real = await execute('SELECT UTC_TIMESTAMP(6) AS now');

    expect(outputs.map((output) => output.records?.[0]?.[0])).toEqual(Array.from({ length: 6 }, () => ({ stringValue: '2001-02-03 04:05:06.789' })));
    expect(real.records?.[0]?.[0]?.stringValue).not.toMatch(/^2001-/);
  });

  it('rejects an invalid database time', async () => {
    await expect(fixture.api.setDatabaseTime('2001-02-03 04:05:06')).rejects.toThrow(RangeError);
  });

  it('fails the next calls a given number of times', async () => {
    fixture.api.faults.failNext('DatabaseResumingException', { count: 2 });

    const first = await settle(execute('SELECT 1'));
    const second = await settle(execute('SELECT 1'));
    const third = await execute('SELECT 1');

    expect((first as Error).name).toBe('DatabaseResumingException');
    expect((second as Error).name).toBe('DatabaseResumingException');
    expect(third.records).toEqual([[{ longValue: 1 }]]);
    expect(fixture.api.calls.slice(-3).map((call) => call.outcome)).toEqual(['failed', 'failed', 'succeeded']);
  });

  it('fails only statements with the prefix', async () => {
    fixture.api.faults.failNext('StatementTimeoutException', { sqlPrefix: 'update' });
    await execute('CREATE TABLE prefixed (id INT PRIMARY KEY)');

    const select = await execute('SELECT 1');
    const update = await settle(execute('  UPDATE prefixed SET id = 2'));

    expect(select.records).toEqual([[{ longValue: 1 }]]);
    expect((update as Error).name).toBe('StatementTimeoutException');
  });

  it('stays down until cleared', async () => {
    fixture.api.faults.failUntilCleared('DatabaseResumingException');

    const outcomes = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      outcomes.push(((await settle(execute('SELECT 1'))) as Error).name);
    }
    fixture.api.faults.clear();
    const after = await execute('SELECT 1');

    expect(outcomes).toEqual(Array.from({ length: 5 }, () => 'DatabaseResumingException'));
    expect(after.records).toEqual([[{ longValue: 1 }]]);
  });

  it('drops the response after commit', async () => {
    await execute('CREATE TABLE dropped (id INT PRIMARY KEY)');
    fixture.api.faults.dropAfterCommit({ sqlPrefix: 'INSERT', count: 2 });

    const first = await settle(execute('INSERT INTO dropped (id) VALUES (1)'));
    const second = await settle(execute('INSERT INTO dropped (id) VALUES (2)'));
    const third = await execute('INSERT INTO dropped (id) VALUES (3)');
    const rows = await execute('SELECT COUNT(*) AS n FROM dropped');

    expect((first as { code?: string }).code).toBe('ECONNRESET');
    expect((second as { code?: string }).code).toBe('ECONNRESET');
    expect(third.numberOfRecordsUpdated).toBe(1);
    expect(rows.records).toEqual([[{ longValue: 3 }]]);
    expect(fixture.api.calls.slice(-4).map((call) => call.outcome)).toEqual(['dropped', 'dropped', 'succeeded', 'succeeded']);
  });

  it('logs every call', async () => {
    const before = fixture.api.calls.length;
    fixture.api.faults.failNext('ServiceUnavailableError');

    await settle(execute('SELECT 1 AS logged'));
    await execute('SELECT 2 AS logged');

    expect(fixture.api.calls.slice(before)).toEqual([
      { sql: 'SELECT 1 AS logged', outcome: 'failed', errorName: 'ServiceUnavailableError' },
      { sql: 'SELECT 2 AS logged', outcome: 'succeeded', errorName: null },
    ]);
  });
});
