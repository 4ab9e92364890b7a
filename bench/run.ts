/**
 * `npm run bench`: measures what cronlock costs against a throwaway MariaDB and writes
 * docs/BENCHMARKS.md. It checks correctness only (one winner per contended round); the timing
 * targets are reported, never asserted.
 *
 * Options: --attempts N (default 1000), --rounds N (default 200), --output PATH.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startThrowawayMariadb } from '../local/mariadb.ts';
import { measureAcquireLatency } from './acquire-latency.ts';
import { measureBundles } from './bundles.ts';
import { measureContention } from './contention.ts';
import { renderReport } from './report.ts';
import { measureWorkflowCost } from './workflow-cost.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    attempts: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '200' },
    output: { type: 'string', default: join(ROOT, 'docs', 'BENCHMARKS.md') },
  },
});
const attempts = Number(values.attempts);
const rounds = Number(values.rounds);
if (!Number.isInteger(attempts) || attempts < 1 || !Number.isInteger(rounds) || rounds < 1) {
  throw new RangeError('--attempts and --rounds must be positive whole numbers');
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const server = await startThrowawayMariadb();
try {
  const databaseVersion = (await execFileAsync('mariadb', ['--version'])).stdout.trim();
  const latency = await measureAcquireLatency(await server.createDatabase('bench_latency'), attempts, progress);

  const contention = [];
  for (const acquirers of [2, 8, 32]) {
    progress(`contention: ${acquirers} acquirers x ${rounds} rounds`);
    contention.push(await measureContention(await server.createDatabase(`bench_contention_${acquirers}`), acquirers, rounds));
  }

  progress('workflow: ran and skipped paths');
  const workflow = await measureWorkflowCost(await server.createDatabase('bench_workflow'));

  progress('bundles: esbuild and load time');
  const bundles = await measureBundles(progress);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB memory, Linux ${release()}, Node.js ${process.version}, ${databaseVersion}`;
  const report = renderReport({
    command: `npm run bench -- --attempts ${attempts} --rounds ${rounds}`,
    machine,
    date: new Date().toISOString().slice(0, 10),
    latency,
    contention,
    workflow,
    bundles,
  });
  await writeFile(values.output, report);
  progress(`wrote ${values.output}`);
} finally {
  await server.stop();
  for (const entry of (await import('node:fs')).readdirSync(ROOT).filter((name) => name.startsWith('.bench-bundles-'))) {
    await rm(join(ROOT, entry), { recursive: true, force: true });
  }
}
