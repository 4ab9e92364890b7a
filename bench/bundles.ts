import { execFile } from 'node:child_process';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { LOCK_STORE_BACKEND_VARIABLE, LOCK_STORE_BACKENDS, type LockStoreBackend } from '../functions/shared/store/lock-store-backend.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BundleResult {
  readonly functionName: string;
  /** The lock store backend the bundle is built for, as serverless.yml defines it for a stage. */
  readonly backend: LockStoreBackend;
  readonly bytes: number;
  /** Median time to import the bundle in a fresh Node.js process. */
  readonly loadMilliseconds: number;
}

/** Fresh processes started per bundle to time its import. */
const LOAD_SAMPLES = 7;

/**
 * Bundles each Lambda handler with the esbuild settings of serverless.yml (ESM, minified, target
 * node24, `@aws-sdk/*` left to the runtime) and times its import in fresh Node.js processes. Each
 * handler is built twice, with the `define` of a Data API stage and with that of a MySQL URL
 * stage. The bundles sit inside the project so that `@aws-sdk/*` resolves from node_modules, as
 * it resolves from the runtime in Lambda, and its load time is counted.
 */
export async function measureBundles(progress: (line: string) => void): Promise<BundleResult[]> {
  const functionsDirectory = join(ROOT, 'functions');
  const entries = (await readdir(functionsDirectory, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
    .map((entry) => entry.name)
    .sort();
  const outputDirectory = await mkdtemp(join(ROOT, '.bench-bundles-'));

  const results: BundleResult[] = [];
  for (const functionName of entries) {
    for (const backend of LOCK_STORE_BACKENDS) {
      const outfile = join(outputDirectory, `${functionName}-${backend}.mjs`);
      await build({
        entryPoints: [join(functionsDirectory, functionName, 'handler.ts')],
        outfile,
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'node',
        target: 'node24',
        external: ['@aws-sdk/*'],
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
        define: { [`process.env.${LOCK_STORE_BACKEND_VARIABLE}`]: JSON.stringify(backend) },
        logLevel: 'silent',
      });
      const { size } = await stat(outfile);
      const samples: number[] = [];
      for (let sample = 0; sample < LOAD_SAMPLES; sample += 1) {
        samples.push(await timeImport(outfile));
      }
      samples.sort((left, right) => left - right);
      const loadMilliseconds = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
      progress(`bundle ${functionName} (${backend}): ${(size / 1024).toFixed(1)} KiB, loads in ${loadMilliseconds.toFixed(1)} ms`);
      results.push({ functionName, backend, bytes: size, loadMilliseconds });
    }
  }
  return results;
}

async function timeImport(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: 'bench' },
  });
  return Number(stdout);
}
