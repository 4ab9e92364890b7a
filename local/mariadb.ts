import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const execFileAsync = promisify(execFile);

/** Paths at which Debian's mariadb-server package installs the two programs. */
const SERVER_CANDIDATES = ['/usr/sbin/mariadbd', '/usr/bin/mariadbd', '/usr/local/bin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL_DB_CANDIDATES = ['/usr/bin/mariadb-install-db', '/usr/local/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];

/** Maximum wait for the server to accept connections. It usually takes about a second. */
const STARTUP_TIMEOUT_MILLISECONDS = 30_000;

export const MARIADB_MISSING_MESSAGE =
  'mariadbd was not found. Install it with "sudo apt-get install -y mariadb-server" (Debian, Ubuntu), ' +
  'or pass --database-url mysql://user:password@host:3306/database to use a server you run.';

export interface ThrowawayMariadb {
  /** A URL for the `root` user over the server's private Unix socket, database `cronlock`. */
  readonly url: string;
  readonly directory: string;
  /** Creates another empty database on the same server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface ThrowawayMariadbOptions {
  /** Paths tried for `mariadbd`, first found wins. */
  readonly serverCandidates?: readonly string[];
  /** Paths tried for `mariadb-install-db`, first found wins. */
  readonly installDbCandidates?: readonly string[];
}

/**
 * Starts a private MariaDB server in a new temporary directory, listening only on a Unix socket
 * in that directory, and creates the database `cronlock`.
 */
export async function startThrowawayMariadb(options: ThrowawayMariadbOptions = {}): Promise<ThrowawayMariadb> {
  const server = findProgram(options.serverCandidates ?? SERVER_CANDIDATES);
  const installDb = findProgram(options.installDbCandidates ?? INSTALL_DB_CANDIDATES);
  if (server === undefined || installDb === undefined) {
    throw new Error(MARIADB_MISSING_MESSAGE);
  }

  const directory = await mkdtemp(join(tmpdir(), 'cronlock-mariadb-'));
  const dataDirectory = join(directory, 'data');
  const socket = join(directory, 'mariadb.sock');
  const runAsRoot = process.getuid?.() === 0;
  const userOption = runAsRoot ? ['--user=root'] : [];

  try {
    await execFileAsync(installDb, [
      '--no-defaults',
      `--datadir=${dataDirectory}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...userOption,
    ]);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    const output = error as { stdout?: string; stderr?: string };
    const details = `${output.stderr ?? ''}\n${output.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`mariadb-install-db failed in ${dataDirectory}: ${(error as Error).message}\n${details}`, { cause: error });
  }

  const child = spawn(server, [
    '--no-defaults',
    `--datadir=${dataDirectory}`,
    `--socket=${socket}`,
    `--pid-file=${join(directory, 'mariadb.pid')}`,
    `--log-error=${join(directory, 'error.log')}`,
    '--skip-networking',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=16M',
    '--max-connections=500',
    ...userOption,
  ], { stdio: 'ignore' });

  const url = (database: string) => `mysql://root@localhost/${database}?socket=${encodeURIComponent(socket)}`;
  const stop = async () => {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
  };

  try {
    await waitForServer(socket, child, directory);
    await runStatement(socket, 'CREATE DATABASE IF NOT EXISTS cronlock');
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: url('cronlock'),
    directory,
    createDatabase: async (name: string) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
        throw new Error(`Database name "${name}" is not a plain identifier`);
      }
      await runStatement(socket, `CREATE DATABASE IF NOT EXISTS \`${name}\``);
      return url(name);
    },
    stop,
  };
}

function findProgram(candidates: readonly string[]): string | undefined {
  return candidates.find((candidate) => existsSync(candidate));
}

async function waitForServer(socket: string, child: ChildProcess, directory: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MILLISECONDS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`mariadbd exited with code ${child.exitCode} while starting; see ${join(directory, 'error.log')}`);
    }
    try {
      await runStatement(socket, 'SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`mariadbd did not accept connections within ${STARTUP_TIMEOUT_MILLISECONDS / 1000} s`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function runStatement(socket: string, sql: string): Promise<void> {
  const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killTimer);
}
