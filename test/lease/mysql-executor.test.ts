import { describe, expect, it, onTestFinished } from 'vitest';
import { createMysqlExecutor, maskDatabaseUrl, parseDatabaseUrl } from '../../functions/shared/store/mysql-executor.ts';
import { createTestDatabase } from '../database.ts';

describe('database URL handling', () => {
  it.each([
    ['mysql://cron:s3cret@db.internal:3306/whmcs', 'mysql://cron:***@db.internal:3306/whmcs'],
    ['mysql://cron:pa55@word@db.internal/whmcs', 'mysql://cron:***@db.internal/whmcs'],
    ['mysql://cron@db.internal/whmcs', 'mysql://cron@db.internal/whmcs'],
    ['mysql//cron:s3cret@db.internal/whmcs', '(a value that is not a URL)'],
  ])('masks %s', (url, masked) => {
    expect(maskDatabaseUrl(url)).toBe(masked);
  });

  it.each([
    'mysql//cron:s3cret@db.internal/whmcs',
    'mysql://cron:s3cret@db.internal',
    'postgres://cron:s3cret@db.internal/whmcs',
  ])('rejects %s without the password', (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(/database URL/);
    let message = '';
    try {
      parseDatabaseUrl(url);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('s3cret');
  });

  it('reads a socket URL', () => {
    expect(parseDatabaseUrl('mysql://root@localhost/cronlock?socket=%2Ftmp%2Fdb.sock')).toEqual({
      user: 'root',
      password: '',
      database: 'cronlock',
      socketPath: '/tmp/db.sock',
    });
  });
});

describe('MysqlExecutor.executeBatch', () => {
  it('returns each statement result in order', async () => {
    const executor = createMysqlExecutor(await createTestDatabase('batch'));
    onTestFinished(() => executor.close());
    await executor.execute('CREATE TABLE counters (name VARCHAR(10) PRIMARY KEY, value INT NOT NULL)');
    await executor.execute("INSERT INTO counters VALUES ('a', 1)");

    const [update, select] = await executor.executeBatch([
      { sql: 'UPDATE counters SET value = value + :step WHERE name = :name', parameters: { name: 'a', step: 2 } },
      { sql: 'SELECT value FROM counters WHERE name = :name', parameters: { name: 'a' } },
    ]);

    expect(update?.updateCount).toBe(1);
    expect(select?.rows).toEqual([{ value: 3 }]);
  });

  it('rejects one name with two values', async () => {
    const executor = createMysqlExecutor(await createTestDatabase('batch'));
    onTestFinished(() => executor.close());

    await expect(executor.executeBatch([
      { sql: 'SELECT :name AS a', parameters: { name: 'x' } },
      { sql: 'SELECT :name AS b', parameters: { name: 'y' } },
    ])).rejects.toThrow(/parameter :name two values/);
  });

  it('escapes values, so a value cannot add a statement', async () => {
    const executor = createMysqlExecutor(await createTestDatabase('batch'));
    onTestFinished(() => executor.close());
    await executor.execute('CREATE TABLE notes (body VARCHAR(100))');

    await executor.executeBatch([
      { sql: 'INSERT INTO notes VALUES (:body)', parameters: { body: "x'); DROP TABLE notes; --" } },
      { sql: 'SELECT COUNT(*) AS count FROM notes', parameters: {} },
    ]);

    const { rows } = await executor.execute('SELECT body FROM notes');
    expect(rows).toEqual([{ body: "x'); DROP TABLE notes; --" }]);
  });
});
