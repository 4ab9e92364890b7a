import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { MARIADB_MISSING_MESSAGE, startThrowawayMariadb } from '../../local/mariadb.ts';
import { createTestDatabase } from '../database.ts';

const execFileAsync = promisify(execFile);
const CRONLOCK = fileURLToPath(new URL('../../bin/cronlock', import.meta.url));

interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cronlock(args: readonly string[]): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync(CRONLOCK, [...args], { timeout: 60_000 });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

interface RunOutput {
  readonly status: string;
  readonly states: string[];
  readonly error: string | null;
  readonly output: { summary: { outcome: string; holder: string | null } } | null;
}

describe('cronlock local run', () => {
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('cli');
  });

  it('prints JSON and exits 0 on success', async () => {
    const result = await cronlock(['local', 'run', '--database-url', databaseUrl, '--task-command', 'echo from-the-task', '--json', '--input', '{"minHoldSeconds": 0}']);

    expect(result.exitCode).toBe(0);
    const output = JSON.parse(result.stdout) as RunOutput;
    expect(output.status).toBe('SUCCEEDED');
    expect(output.output?.summary.outcome).toBe('ran');
    expect(output.states.at(-1)).toBe('ReleaseLock');
    expect(result.stderr).toContain('from-the-task');
  });

  it('runs through the Data API endpoint', async () => {
    const result = await cronlock(['local', 'run', '--database-url', databaseUrl, '--data-api', '--task-command', 'true', '--json', '--input', '{"minHoldSeconds": 0}']);

    expect(result.exitCode).toBe(0);
    expect((JSON.parse(result.stdout) as RunOutput).output?.summary.outcome).toBe('ran');
    expect(result.stderr).toContain('local Data API endpoint http://127.0.0.1:');
  });

  it('exits 1 when the cron fails', async () => {
    const result = await cronlock(['local', 'run', '--database-url', databaseUrl, '--task-command', 'exit 7', '--json', '--input', '{"minHoldSeconds": 0}']);

    expect(result.exitCode).toBe(1);
    const output = JSON.parse(result.stdout) as RunOutput;
    expect(output.status).toBe('FAILED');
    expect(output.error).toBe('CronFailed');
  });

  it('exits 2 on a bad log level or table', async () => {
    const logLevel = await cronlock(['local', 'run', '--database-url', databaseUrl, '--log-level', 'LOUD']);
    const table = await cronlock(['local', 'run', '--database-url', databaseUrl, '--table', 'bad;name']);

    expect(logLevel.exitCode).toBe(2);
    expect(logLevel.stderr).toContain('--log-level "LOUD"');
    expect(table.exitCode).toBe(2);
    expect(table.stderr).toContain('--table "bad;name"');
  });

  it('exits 1 when the database is unreachable', async () => {
    const unreachable = 'mysql://root@localhost/cronlock?socket=%2Fnonexistent%2Fmariadb.sock';

    const result = await cronlock(['local', 'run', '--database-url', unreachable, '--name', 'unreachable-run', '--task-command', 'true']);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Lock store unavailable');
  });

  it('exits 2 on input that is not JSON', async () => {
    const result = await cronlock(['local', 'run', '--database-url', databaseUrl, '--input', '{job: cron}']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--input is not valid JSON');
    expect(result.stdout).toBe('');
  });

  it('concurrent processes run one cron', async () => {
    const sharedUrl = await createTestDatabase('cli_concurrent');
    const args = ['local', 'run', '--database-url', sharedUrl, '--task-command', 'sleep 1', '--json'];

    const results = await Promise.all([cronlock(args), cronlock(args), cronlock(args)]);

    expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0]);
    const outcomes = results.map((result) => (JSON.parse(result.stdout) as RunOutput).output?.summary.outcome).sort();
    expect(outcomes).toEqual(['ran', 'skipped', 'skipped']);
  });

  it('rejects a reused execution name', async () => {
    const first = await cronlock(['local', 'run', '--database-url', databaseUrl, '--name', 'once-only', '--task-command', 'true', '--input', '{"minHoldSeconds": 0}']);
    const second = await cronlock(['local', 'run', '--database-url', databaseUrl, '--name', 'once-only', '--task-command', 'true']);

    expect(first.exitCode).toBe(0);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toContain('ExecutionAlreadyExists');
  });
});

describe('throwaway MariaDB', () => {
  it('explains how to install a missing mariadbd', async () => {
    await expect(startThrowawayMariadb({ serverCandidates: ['/nonexistent/mariadbd'] })).rejects.toThrow(MARIADB_MISSING_MESSAGE);
    expect(MARIADB_MISSING_MESSAGE).toContain('apt-get install -y mariadb-server');
    expect(MARIADB_MISSING_MESSAGE).toContain('--database-url');
  });
});
