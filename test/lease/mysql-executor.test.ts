import { describe, expect, it } from 'vitest';
import { maskDatabaseUrl, parseDatabaseUrl } from '../../functions/shared/store/mysql-executor.ts';

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
