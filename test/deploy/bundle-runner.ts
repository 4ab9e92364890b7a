import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_DIRECTORY, packageDirectory, type ServiceCopy } from './package-service.ts';
import { resource, type Template } from './template.ts';
import { readZipEntries } from './zip.ts';

/**
 * Runs the handler of a packaged function in a fresh Node.js process, as the Lambda runtime
 * would: the bundle from the function's zip, `@aws-sdk/*` from outside, and the environment
 * that the template gives the function.
 */

const execFileAsync = promisify(execFile);

/** Maximum time of one invocation, including the start of Node.js and the import of the bundle. */
const INVOKE_TIMEOUT_MILLISECONDS = 30_000;

/** Prefix of the line on which the child process prints the outcome. */
const OUTCOME_MARKER = 'BUNDLE_OUTCOME ';

/** The Lambda context fields that the Powertools logger reads. */
const LAMBDA_CONTEXT = {
  functionName: 'cronlock-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:cronlock-test',
  memoryLimitInMB: '256',
  awsRequestId: 'test-request',
  logGroupName: '/aws/lambda/cronlock-test',
  logStreamName: 'test-stream',
};

export interface BundleOutcome {
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

/** Returns the bundle of a function, from its zip in the package directory. */
export async function readBundle(service: ServiceCopy, key: string): Promise<string> {
  const [entry] = readZipEntries(await readFile(join(packageDirectory(service), `${key}.zip`)));
  if (entry === undefined) {
    throw new Error(`${key}.zip is empty`);
  }
  return entry.content.toString('utf8');
}

/**
 * Writes a function's bundle into a new directory whose node_modules holds only `@aws-sdk`, the
 * packages the Lambda runtime provides, and returns the path of the handler file.
 */
export async function extractBundle(service: ServiceCopy, key: string, folder: string): Promise<string> {
  const directory = await mkdtemp(join(service.directory, `.lambda-${key}-`));
  const handlerPath = join(directory, `functions/${folder}/handler.mjs`);
  await mkdir(dirname(handlerPath), { recursive: true });
  await writeFile(handlerPath, await readBundle(service, key));
  await mkdir(join(directory, 'node_modules'));
  await symlink(join(PROJECT_DIRECTORY, 'node_modules', '@aws-sdk'), join(directory, 'node_modules', '@aws-sdk'), 'dir');
  return handlerPath;
}

/** Returns the environment variables that the template gives a function. */
export function functionEnvironment(template: Template, logicalId: string): Record<string, string> {
  const environment = resource(template, logicalId).Properties['Environment'] as { Variables: Record<string, string> } | undefined;
  return { ...environment?.Variables };
}

/**
 * Imports the handler in a fresh Node.js process with only `environment` (plus PATH and the
 * Region) and calls it once with `event`. Returns its result or the name and message of its error.
 */
export async function invokeBundle(handlerPath: string, event: unknown, environment: Readonly<Record<string, string>>): Promise<BundleOutcome> {
  const script = [
    `const { handler } = await import(${JSON.stringify(handlerPath)});`,
    `const context = { ...${JSON.stringify(LAMBDA_CONTEXT)}, getRemainingTimeInMillis: () => 60_000 };`,
    'let outcome;',
    `try { outcome = { result: await handler(${JSON.stringify(event)}, context) }; }`,
    'catch (error) { outcome = { error: { name: error.name, message: error.message } }; }',
    `process.stdout.write('\\n${OUTCOME_MARKER}' + JSON.stringify(outcome) + '\\n');`,
    // A MySQL pool keeps the process alive, as it stays open between Lambda invocations.
    'process.exit(0);',
  ].join('\n');
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dirname(handlerPath),
    env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'eu-west-1', ...environment },
    timeout: INVOKE_TIMEOUT_MILLISECONDS,
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(OUTCOME_MARKER));
  if (line === undefined) {
    throw new Error(`The handler at ${handlerPath} printed no outcome; its output was:\n${stdout}`);
  }
  return JSON.parse(line.slice(OUTCOME_MARKER.length)) as BundleOutcome;
}
