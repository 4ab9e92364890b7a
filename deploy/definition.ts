import { FUNCTION_KEYS, functionLogicalId, type FunctionKey } from './naming.ts';
import { DeploySettingsError } from './stage-settings.ts';

/**
 * Reads which Lambda functions the workflow definition calls, so that the state machine's role
 * may invoke exactly those, and a definition that names a function serverless.yml does not define
 * stops packaging.
 */

interface StateLike {
  readonly Type?: unknown;
  readonly Resource?: unknown;
  readonly Branches?: unknown;
  readonly Iterator?: unknown;
  readonly ItemProcessor?: unknown;
}

/** Returns the keys of the functions that the definition's Task states call, in first-use order. */
export function functionsCalledBy(definition: unknown, source: string): FunctionKey[] {
  const logicalIds = new Set<string>();
  collectFunctionReferences(definition, logicalIds);

  const byLogicalId = new Map(FUNCTION_KEYS.map((key) => [functionLogicalId(key), key]));
  const unknown = [...logicalIds].filter((logicalId) => !byLogicalId.has(logicalId));
  if (unknown.length > 0) {
    throw new DeploySettingsError(source, [
      `the definition calls ${unknown.join(', ')}, which serverless.yml does not define; add the function to serverless.yml and to FUNCTION_KEYS in deploy/naming.ts`,
    ]);
  }
  return [...logicalIds].map((logicalId) => byLogicalId.get(logicalId) as FunctionKey);
}

function collectFunctionReferences(machine: unknown, logicalIds: Set<string>): void {
  const states = (machine as { States?: unknown } | null)?.States;
  if (states === null || typeof states !== 'object') {
    return;
  }
  for (const state of Object.values(states as Record<string, StateLike | null>)) {
    if (state === null || typeof state !== 'object') {
      continue;
    }
    const logicalId = getAttTarget(state.Resource);
    if (state.Type === 'Task' && logicalId !== undefined) {
      logicalIds.add(logicalId);
    }
    for (const branch of Array.isArray(state.Branches) ? state.Branches : []) {
      collectFunctionReferences(branch, logicalIds);
    }
    collectFunctionReferences(state.Iterator, logicalIds);
    collectFunctionReferences(state.ItemProcessor, logicalIds);
  }
}

/** Returns the logical ID in `{ "Fn::GetAtt": [ID, "Arn"] }`, the form in which the definition names functions. */
function getAttTarget(resource: unknown): string | undefined {
  const getAtt = (resource as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' && getAtt[1] === 'Arn' ? getAtt[0] : undefined;
}
