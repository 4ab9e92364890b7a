// The file that serverless.yml reads as ${file(./deploy/serverless.js):cronlock}. The Serverless
// Framework loads it with require(), so it stays plain JavaScript and imports the TypeScript
// only inside the resolver, after checking that Node.js can run it (type stripping, Node.js 24).
import process from 'node:process';

const MIN_NODE_MAJOR = 24;

/** Resolves custom.cronlock; see deploy/serverless.ts. */
export async function cronlock(resolverArguments) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_NODE_MAJOR) {
    throw new Error(
      `cronlock packages with Node.js ${MIN_NODE_MAJOR} or later, but the Serverless CLI runs on Node.js ${process.versions.node}; ` +
        'run it through "npm run package" or "npx serverless", which use the project\'s Node.js',
    );
  }
  const { resolveCronlockDeployment } = await import('./serverless.ts');
  return resolveCronlockDeployment(resolverArguments);
}
