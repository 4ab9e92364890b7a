import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { inject } from 'vitest';
import { parseDatabaseUrl } from '../functions/shared/store/mysql-executor.ts';

/**
 * Creates a fresh, empty database on the test server and returns its URL, so that test files
 * running in parallel never share a lock table.
 */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  const baseUrl = inject('databaseUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const connection = await mysql.createConnection({ ...parseDatabaseUrl(baseUrl), database: undefined });
  try {
    await connection.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await connection.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
