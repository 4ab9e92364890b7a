import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/shared/errors.ts';
import { DataApiExecutor } from '../../functions/shared/store/data-api-executor.ts';
import { MysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { openExecutorFromEnvironment, readLockStoreSettings } from '../../functions/shared/store/open-executor.ts';
import { startDataApiFixture, type DataApiFixture } from './local-data-api.ts';

const CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:whmcs-aurora';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:whmcs-db-AbCdEf';
const PASSWORD = 'pa55-Secret-w0rd';

const DATA_API = {
  CRONLOCK_DATA_API_CLUSTER_ARN: CLUSTER_ARN,
  CRONLOCK_DATA_API_SECRET_ARN: SECRET_ARN,
  CRONLOCK_DATABASE_NAME: 'whmcs',
};

/** Returns the ConfigurationError that reading these settings throws, and fails the test if none is thrown. */
function configurationErrorFor(environment: Record<string, string>): ConfigurationError {
  let thrown: unknown;
  try {
    readLockStoreSettings(environment);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigurationError);
  return thrown as ConfigurationError;
}

describe('readLockStoreSettings', () => {
  it('selects the Data API', () => {
    const settings = readLockStoreSettings(DATA_API);

    expect(settings).toEqual({ kind: 'data-api', resourceArn: CLUSTER_ARN, secretArn: SECRET_ARN, database: 'whmcs' });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('selects a direct connection', () => {
    const databaseUrl = `mysql://cronlock:${PASSWORD}@db.internal:3306/whmcs`;

    expect(readLockStoreSettings({ CRONLOCK_DATABASE_URL: databaseUrl })).toEqual({ kind: 'mysql', databaseUrl });
  });

  it.each([
    ['GovCloud', 'arn:aws-us-gov:rds:us-gov-west-1:123456789012:cluster:whmcs', 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf'],
    ['China', 'arn:aws-cn:rds:cn-north-1:123456789012:cluster:whmcs', 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf'],
    ['a secret path', CLUSTER_ARN, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/whmcs/db-AbCdEf'],
    ['a secret managed by RDS', CLUSTER_ARN, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-5c1e2a7b-4f1d-4e8a-9d2b-7a6c5e4d3b2a-AbCdEf'],
  ])('accepts ARNs of %s', (_case, clusterArn, secretArn) => {
    const settings = readLockStoreSettings({ ...DATA_API, CRONLOCK_DATA_API_CLUSTER_ARN: clusterArn, CRONLOCK_DATA_API_SECRET_ARN: secretArn });

    expect(settings).toMatchObject({ kind: 'data-api', resourceArn: clusterArn, secretArn });
  });

  it('treats blank values as unset', () => {
    const error = configurationErrorFor({ CRONLOCK_DATABASE_URL: '  ', CRONLOCK_DATA_API_CLUSTER_ARN: '' });

    expect(error.message).toContain('no lock store is configured');
  });

  it('rejects neither', () => {
    const error = configurationErrorFor({});

    expect(error.setting).toBe('CRONLOCK_DATA_API_CLUSTER_ARN or CRONLOCK_DATABASE_URL');
    expect(error.message).toContain('set CRONLOCK_DATA_API_CLUSTER_ARN, CRONLOCK_DATA_API_SECRET_ARN, CRONLOCK_DATABASE_NAME to use the RDS Data API');
    expect(error.message).toContain('or set CRONLOCK_DATABASE_URL to mysql://user:password@host:3306/database');
  });

  it('rejects both without the password', () => {
    const error = configurationErrorFor({ ...DATA_API, CRONLOCK_DATABASE_URL: `mysql://cronlock:${PASSWORD}@db.internal/whmcs` });

    expect(error.setting).toBe('CRONLOCK_DATABASE_URL');
    expect(error.message).toContain('is set together with CRONLOCK_DATA_API_CLUSTER_ARN, CRONLOCK_DATA_API_SECRET_ARN, CRONLOCK_DATABASE_NAME');
    expect(error.message).toContain('configure one lock store');
    expect(error.message).not.toContain(PASSWORD);
  });

  it('rejects a URL with a stray database name', () => {
    const error = configurationErrorFor({ CRONLOCK_DATABASE_URL: 'mysql://cronlock@db.internal/whmcs', CRONLOCK_DATABASE_NAME: 'whmcs' });

    expect(error.setting).toBe('CRONLOCK_DATABASE_URL');
    expect(error.message).toContain('remove CRONLOCK_DATABASE_NAME to connect directly');
  });

  it.each([
    [['CRONLOCK_DATA_API_CLUSTER_ARN'], 'CRONLOCK_DATA_API_SECRET_ARN, CRONLOCK_DATABASE_NAME'],
    [['CRONLOCK_DATA_API_SECRET_ARN'], 'CRONLOCK_DATA_API_CLUSTER_ARN, CRONLOCK_DATABASE_NAME'],
    [['CRONLOCK_DATABASE_NAME'], 'CRONLOCK_DATA_API_CLUSTER_ARN, CRONLOCK_DATA_API_SECRET_ARN'],
    [['CRONLOCK_DATA_API_CLUSTER_ARN', 'CRONLOCK_DATA_API_SECRET_ARN'], 'CRONLOCK_DATABASE_NAME'],
    [['CRONLOCK_DATA_API_CLUSTER_ARN', 'CRONLOCK_DATABASE_NAME'], 'CRONLOCK_DATA_API_SECRET_ARN'],
    [['CRONLOCK_DATA_API_SECRET_ARN', 'CRONLOCK_DATABASE_NAME'], 'CRONLOCK_DATA_API_CLUSTER_ARN'],
  ])('rejects partial Data API settings %j', (present, missing) => {
    const environment = Object.fromEntries(present.map((name) => [name, DATA_API[name as keyof typeof DATA_API]]));

    const error = configurationErrorFor(environment);

    expect(error.setting).toBe(missing);
    expect(error.message).toContain('not set');
    expect(error.message).toContain('the RDS Data API needs CRONLOCK_DATA_API_CLUSTER_ARN, CRONLOCK_DATA_API_SECRET_ARN, CRONLOCK_DATABASE_NAME together');
  });

  it.each([
    ['an instance ARN', 'arn:aws:rds:eu-west-1:123456789012:db:whmcs-instance-1', /names a DB instance/],
    ['a cluster name', 'whmcs-aurora', /not shown/],
    ['another service', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:whmcs-db-AbCdEf', /is not an Aurora cluster ARN/],
    ['a short account', 'arn:aws:rds:eu-west-1:1234:cluster:whmcs', /is not an Aurora cluster ARN/],
    ['no region', 'arn:aws:rds::123456789012:cluster:whmcs', /is not an Aurora cluster ARN/],
    ['a cluster name starting with a digit', 'arn:aws:rds:eu-west-1:123456789012:cluster:1whmcs', /is not an Aurora cluster ARN/],
  ])('rejects %s as cluster ARN', (_case, value, reason) => {
    const error = configurationErrorFor({ ...DATA_API, CRONLOCK_DATA_API_CLUSTER_ARN: value });

    expect(error.setting).toBe('CRONLOCK_DATA_API_CLUSTER_ARN');
    expect(error.message).toMatch(reason);
    expect(error.message).toContain('arn:aws:rds:REGION:ACCOUNT:cluster:NAME');
  });

  it.each([
    ['a secret name', 'whmcs-db'],
    ['a cluster ARN', CLUSTER_ARN],
    ['a short account', 'arn:aws:secretsmanager:eu-west-1:12345:secret:whmcs-db-AbCdEf'],
    ['no name', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:'],
  ])('rejects %s as secret ARN', (_case, value) => {
    const error = configurationErrorFor({ ...DATA_API, CRONLOCK_DATA_API_SECRET_ARN: value });

    expect(error.setting).toBe('CRONLOCK_DATA_API_SECRET_ARN');
    expect(error.message).toContain('is not a Secrets Manager secret ARN');
    expect(error.message).toContain('arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME');
  });

  it('never shows a secret value given as ARN', () => {
    const secretValue = JSON.stringify({ username: 'cronlock', password: PASSWORD });

    const error = configurationErrorFor({ ...DATA_API, CRONLOCK_DATA_API_SECRET_ARN: secretValue });

    expect(error.message).toContain('not shown');
    expect(error.message).not.toContain(PASSWORD);
  });

  it.each(['whmcs.prod', 'a/b', 'x'.repeat(65)])('rejects database name %s', (database) => {
    const error = configurationErrorFor({ ...DATA_API, CRONLOCK_DATABASE_NAME: database });

    expect(error.setting).toBe('CRONLOCK_DATABASE_NAME');
    expect(error.message).toContain('is not a MySQL database name');
  });

  it.each([
    ['no scheme', `cronlock:${PASSWORD}@db.internal:3306/whmcs`, /scheme "cronlock:"/],
    ['a missing colon after the scheme', `mysql//cronlock:${PASSWORD}@db.internal/whmcs`, /is not a valid URL/],
    ['an @ in the password and no database', `mysql://cronlock:${PASSWORD}@extra@db.internal/`, /names no database/],
    ['no database', `mysql://cronlock:${PASSWORD}@db.internal:3306/`, /names no database/],
    ['another scheme', `postgres://cronlock:${PASSWORD}@db.internal/whmcs`, /scheme "postgres:"/],
    ['bad percent-encoding', `mysql://cronlock:${PASSWORD}%zz@db.internal/whmcs`, /cannot be read/],
    ['spaces', `mysql://cronlock:${PASSWORD} @db internal/whmcs`, /is not a valid URL/],
  ])('rejects a URL with %s without the password', (_case, databaseUrl, reason) => {
    const error = configurationErrorFor({ CRONLOCK_DATABASE_URL: databaseUrl });

    expect(error.setting).toBe('CRONLOCK_DATABASE_URL');
    expect(error.message).toMatch(reason);
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain('w0rd');
    expect(error.cause).toBeUndefined();
  });
});

describe('openExecutorFromEnvironment', () => {
  let fixture: DataApiFixture;

  beforeAll(async () => {
    fixture = await startDataApiFixture();
  });

  afterAll(async () => {
    await fixture.close();
  });

  it('opens the Data API executor', async () => {
    const environment = {
      CRONLOCK_DATA_API_CLUSTER_ARN: fixture.api.resourceArn,
      CRONLOCK_DATA_API_SECRET_ARN: fixture.api.secretArn,
      CRONLOCK_DATABASE_NAME: fixture.api.database,
    };
    const callsBefore = fixture.api.calls.length;

    const executor = openExecutorFromEnvironment(environment, { dataApiClient: fixture.client });
    const { rows } = await executor.execute('SELECT :word AS word', { word: 'through the Data API' });
    await executor.close();

    expect(executor).toBeInstanceOf(DataApiExecutor);
    expect(rows).toEqual([{ word: 'through the Data API' }]);
    expect(fixture.api.calls.length - callsBefore).toBe(1);
  });

  it('opens the MySQL executor', async () => {
    const executor = openExecutorFromEnvironment({ CRONLOCK_DATABASE_URL: fixture.databaseUrl });
    try {
      const { rows } = await executor.execute('SELECT :word AS word', { word: 'direct' });

      expect(executor).toBeInstanceOf(MysqlExecutor);
      expect(rows).toEqual([{ word: 'direct' }]);
    } finally {
      await executor.close();
    }
  });

  it('throws ConfigurationError before connecting', () => {
    expect(() => openExecutorFromEnvironment({ CRONLOCK_DATA_API_CLUSTER_ARN: CLUSTER_ARN })).toThrow(ConfigurationError);
  });
});
