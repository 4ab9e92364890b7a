import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs `serverless package` (osls) on a copy of the service in a temporary directory, so that
 * parallel runs never share .serverless/ or the bundler's .esbuild/ folder, with placeholder
 * settings and without AWS credentials.
 */

export const PROJECT_DIRECTORY = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES_DIRECTORY = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** What the service needs to package; tests, docs and local tools stay behind. */
const SERVICE_ENTRIES = ['serverless.yml', 'package.json', 'tsconfig.json', 'config', 'deploy', 'functions', 'statemachines'];

/** Maximum time of one packaging run, which took 5 to 10 seconds alone on a 2-core machine. */
const PACKAGE_TIMEOUT_MILLISECONDS = 150_000;

export interface ServiceCopy {
  readonly directory: string;
  readonly stage: string;
}

/**
 * Copies the service into a new temporary directory, with the fixture stage settings as
 * config/stages/STAGE.yml and the fixture jobs as config/jobs.json.
 */
export async function copyService(stage: string, fixtures: { stageSettings: string; jobs: string }): Promise<ServiceCopy> {
  const directory = await mkdtemp(join(tmpdir(), 'cronlock-package-'));
  for (const entry of SERVICE_ENTRIES) {
    await cp(join(PROJECT_DIRECTORY, entry), join(directory, entry), { recursive: true });
  }
  await symlink(join(PROJECT_DIRECTORY, 'node_modules'), join(directory, 'node_modules'), 'dir');
  await mkdir(join(directory, 'config', 'stages'), { recursive: true });
  await cp(join(FIXTURES_DIRECTORY, fixtures.stageSettings), join(directory, 'config', 'stages', `${stage}.yml`));
  await cp(join(FIXTURES_DIRECTORY, fixtures.jobs), join(directory, 'config', 'jobs.json'));
  return { directory, stage };
}

export interface PackageResult {
  readonly exitCode: number | null;
  readonly output: string;
  /** Whether the run had no network at all (a new network namespace with only loopback, down). */
  readonly networkIsolated: boolean;
}

/**
 * Runs `serverless package --stage STAGE` in the copy with an environment that has no AWS
 * credentials, no AWS config files and no instance metadata lookups. Where `unshare --net` works
 * (root on Linux), the run also gets a network namespace of its own, so any attempt to reach AWS
 * or another host fails instead of leaving the machine.
 */
export async function runServerlessPackage(service: ServiceCopy): Promise<PackageResult> {
  const serverlessBin = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
  const home = join(service.directory, '.home');
  await mkdir(home);
  const environment: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    FORCE_COLOR: '0',
  };

  const networkIsolated = canIsolateNetwork();
  const command = [process.execPath, serverlessBin, 'package', '--stage', service.stage];
  const [program, ...args] = networkIsolated ? ['unshare', '--net', '--', ...command] : command;

  const child = spawn(program ?? process.execPath, args, { cwd: service.directory, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serverless package did not finish within ${PACKAGE_TIMEOUT_MILLISECONDS} ms; output so far:\n${output}`));
    }, PACKAGE_TIMEOUT_MILLISECONDS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { exitCode, output, networkIsolated };
}

function canIsolateNetwork(): boolean {
  const probe = spawnSync('unshare', ['--net', '--', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

export function packageDirectory(service: ServiceCopy): string {
  return join(service.directory, '.serverless');
}

export interface PackagedService {
  readonly service: ServiceCopy;
  readonly result: PackageResult;
  /** The compiled CloudFormation template, as `serverless package` wrote it. */
  readonly template: unknown;
}

/** Copies the service with the given fixtures and packages it; throws with the output when packaging fails. */
export async function packageService(stage: string, fixtures: { stageSettings: string; jobs: string }): Promise<PackagedService> {
  const service = await copyService(stage, fixtures);
  const result = await runServerlessPackage(service);
  if (result.exitCode !== 0) {
    await removeService(service);
    throw new Error(`serverless package failed with exit code ${result.exitCode}:\n${result.output}`);
  }
  const template = await readJson(join(packageDirectory(service), 'cloudformation-template-update-stack.json'));
  return { service, result, template };
}

/** Removes a service copy and its package. */
export async function removeService(service: ServiceCopy | undefined): Promise<void> {
  if (service !== undefined) {
    await rm(service.directory, { recursive: true, force: true });
  }
}
