/**
 * A cron for the fault tests that checks the two invariants from inside the task, as the WHMCS
 * cron would live them:
 * - never two at once: at start it writes its PID file, then looks for the PID file of another
 *   probe whose process is still alive, and records an overlap if it finds one. Of two probes
 *   that overlap in time, the one that starts second finds the first.
 * - no cron without a lease: at start it reads the lock row and records whether the owner and
 *   fencing token it was given hold a live, unreleased lease at database time.
 *
 * Reads PROBE_DIRECTORY, PROBE_DATABASE_URL and PROBE_TABLE, plus the CRONLOCK_* variables
 * RunCron passes. Writes one JSON line per event to PROBE_DIRECTORY/events.jsonl. It reads its
 * mode at start from the file PROBE_DIRECTORY/mode, so a test can change it between executions:
 * - succeed: works 200 ms, exits 0;
 * - fail: exits 3;
 * - hang: runs until stopped;
 * - kill: kills itself with SIGKILL, as the kernel's OOM killer would;
 * - slow-stop: runs until SIGTERM, then takes PROBE_STOP_MILLISECONDS before it exits 0.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMysqlExecutor } from '../../functions/shared/store/mysql-executor.ts';

const directory = requireVariable('PROBE_DIRECTORY');
const mode = readFileSync(join(directory, 'mode'), 'utf8').trim();
const job = requireVariable('CRONLOCK_JOB');
const owner = requireVariable('CRONLOCK_OWNER');
const fencingToken = Number(requireVariable('CRONLOCK_FENCING_TOKEN'));
const pidFile = join(directory, `running-${process.pid}`);

function requireVariable(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

function record(event: Record<string, unknown>): void {
  appendFileSync(join(directory, 'events.jsonl'), `${JSON.stringify({ ...event, pid: process.pid, owner, fencingToken, atMilliseconds: Date.now() })}\n`);
}

function otherLiveProbes(): number[] {
  return readdirSync(directory)
    .filter((name) => name.startsWith('running-'))
    .map((name) => Number(name.slice('running-'.length)))
    .filter((pid) => pid !== process.pid && isAlive(pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function finish(exitCode: number): never {
  record({ event: 'end', exitCode });
  rmSync(pidFile, { force: true });
  process.exit(exitCode);
}

// A sidecar that must have set its SIGTERM trap before the cron ends creates SIDECAR_READY-<token>.
const sidecarReady = process.env['SIDECAR_READY'] === undefined ? undefined : `${process.env['SIDECAR_READY']}-${fencingToken}`;
for (const deadline = Date.now() + 10_000; sidecarReady !== undefined && !existsSync(sidecarReady) && Date.now() < deadline;) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

writeFileSync(pidFile, '');
const overlapping = otherLiveProbes();

const executor = createMysqlExecutor(requireVariable('PROBE_DATABASE_URL'), 1);
const { rows } = await executor.execute(
  `SELECT owner, fencing_token, (released_at IS NULL AND lock_until > UTC_TIMESTAMP(6)) AS live FROM \`${requireVariable('PROBE_TABLE')}\` WHERE lock_name = :job`,
  { job },
);
await executor.close();
const row = rows[0];
const leaseHeld = row !== undefined && row['owner'] === owner && Number(row['fencing_token']) === fencingToken && Number(row['live']) === 1;
record({ event: 'start', mode, overlapping, leaseHeld });

const forever = () => setInterval(() => undefined, 60_000);

switch (mode) {
  case 'succeed':
    setTimeout(() => finish(0), 200);
    break;
  case 'fail':
    finish(3);
    break;
  case 'hang':
    forever();
    break;
  case 'kill':
    process.kill(process.pid, 'SIGKILL');
    break;
  case 'slow-stop':
    forever();
    process.once('SIGTERM', () => {
      record({ event: 'sigterm' });
      setTimeout(() => finish(0), Number(process.env['PROBE_STOP_MILLISECONDS'] ?? 2000));
    });
    break;
  default:
    process.stderr.write(`Probe mode "${mode}" is not one of succeed, fail, hang, kill, slow-stop\n`);
    finish(2);
}
