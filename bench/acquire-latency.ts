import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LeaseStore } from '../functions/shared/lease/lease-store.ts';
import { acquireSql } from '../functions/shared/lease/lease-sql.ts';
import { connectMysqlExecutor, parseDatabaseUrl } from '../functions/shared/store/mysql-executor.ts';
import { summarizeLatencies, timeCall, type LatencySummary } from './statistics.ts';

const execFileAsync = promisify(execFile);

export interface AcquireLatencyResult {
  readonly cronlock: LatencySummary;
  readonly bareUpdate: LatencySummary;
  readonly fourCallScript: LatencySummary;
}

const TABLE = 'tblcronlock';
const OWNER = 'arn:aws:states:us-east-1:000000000000:execution:cronlock-bench:latency';

/**
 * The lock a cluster without cronlock typically scripts: four separate client calls per attempt,
 * each a new connection. The bench writes it so both sides run on the same server.
 */
const FOUR_CALL_SCRIPT = `#!/bin/sh
# Takes a cron lock with four mariadb client calls, as a crontab wrapper would.
set -e
socket="$1"; database="$2"; name="$3"; owner="$4"
sql() { mariadb --no-defaults --socket="$socket" --user=root --batch --skip-column-names "$database" -e "$1"; }
sql "CREATE TABLE IF NOT EXISTS script_lock (lock_name VARCHAR(64) PRIMARY KEY, owner VARCHAR(255), lock_until DATETIME(6))"
sql "INSERT IGNORE INTO script_lock (lock_name) VALUES ('$name')"
sql "UPDATE script_lock SET owner = '$owner', lock_until = UTC_TIMESTAMP(6) + INTERVAL 1800 SECOND WHERE lock_name = '$name' AND (lock_until IS NULL OR lock_until <= UTC_TIMESTAMP(6))"
sql "SELECT owner FROM script_lock WHERE lock_name = '$name'"
`;

/**
 * Measures one acquisition of a free lease, `attempts` times each: cronlock's LeaseStore on a
 * warm connection, the bare conditional UPDATE alone on the same connection (the floor: one round
 * trip), and the four-call shell script. Every attempt takes a lease that is free.
 */
export async function measureAcquireLatency(databaseUrl: string, attempts: number, progress: (line: string) => void): Promise<AcquireLatencyResult> {
  const executor = await connectMysqlExecutor(databaseUrl);
  try {
    const store = new LeaseStore(executor, TABLE);
    await store.ensureTable();
    for (let index = 0; index < attempts * 2; index += 1) {
      await store.insertRow(lockName(index));
    }

    progress(`acquire latency: cronlock LeaseStore.acquire x ${attempts}`);
    const cronlock: number[] = [];
    for (let index = 0; index < attempts; index += 1) {
      cronlock.push(await timeCall(() => store.acquire({ lockName: lockName(index), owner: OWNER, holdSeconds: 1800 })));
    }

    progress(`acquire latency: bare conditional UPDATE x ${attempts}`);
    const bareUpdate: number[] = [];
    const update = acquireSql(TABLE);
    for (let index = attempts; index < attempts * 2; index += 1) {
      bareUpdate.push(await timeCall(() => executor.execute(update, { lockName: lockName(index), owner: OWNER, holdSeconds: 1800 })));
    }

    progress(`acquire latency: four-call shell script x ${attempts}`);
    const scriptDirectory = await mkdtemp(join(tmpdir(), 'cronlock-bench-'));
    const script = await writeScript(scriptDirectory);
    const { socketPath, database } = parseDatabaseUrl(databaseUrl);
    if (socketPath === undefined || database === undefined) {
      throw new Error('the four-call script needs a Unix socket URL, as the throwaway MariaDB gives');
    }
    const fourCallScript: number[] = [];
    for (let index = 0; index < attempts; index += 1) {
      fourCallScript.push(await timeCall(() => execFileAsync(script, [socketPath, database, `script-${index}`, OWNER])));
      if (index > 0 && index % 250 === 0) {
        progress(`  ${index} of ${attempts}`);
      }
    }

    await rm(scriptDirectory, { recursive: true, force: true });
    return {
      cronlock: summarizeLatencies(cronlock),
      bareUpdate: summarizeLatencies(bareUpdate),
      fourCallScript: summarizeLatencies(fourCallScript),
    };
  } finally {
    await executor.close();
  }
}

function lockName(index: number): string {
  return `latency-${String(index).padStart(5, '0')}`;
}

async function writeScript(directory: string): Promise<string> {
  const path = join(directory, 'four-call-acquire.sh');
  await writeFile(path, FOUR_CALL_SCRIPT);
  await chmod(path, 0o755);
  return path;
}
