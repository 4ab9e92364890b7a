import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The workflow definition file, the same one that serverless.yml deploys. */
export const DEFINITION_PATH = fileURLToPath(new URL('../statemachines/cronlock.asl.yaml', import.meta.url));

/** The ARN prefix the local runner gives the functions that `Fn::GetAtt` references. */
export const LOCAL_FUNCTION_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:cronlock-local-';

export type StateDefinition = Record<string, unknown> & { Type: string; Resource?: unknown };

export interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, StateDefinition>;
  readonly [key: string]: unknown;
}

export interface LoadedDefinition {
  /** The definition with every `Fn::GetAtt` of a function replaced by a local ARN. */
  readonly definition: Definition;
  /** Task states that invoke a Lambda function, with the function's logical ID. */
  readonly lambdaStates: Readonly<Record<string, string>>;
  /** Task states that run an ECS task with `ecs:runTask.sync`, with how each finds its timeout. */
  readonly ecsStates: Readonly<Record<string, EcsStateTimeout>>;
}

/**
 * The source of an ECS state's timeout. Step Functions reads TimeoutSecondsPath from the state
 * input, but aws-local-stepfunctions (3.0) reads it from the effective input after Parameters,
 * where the path points nowhere. So the runner gives the engine a timeout too long to matter instead and
 * the ECS stand-in enforces the real one, read from the container variable that the definition
 * fills from the same path.
 */
export interface EcsStateTimeout {
  /** The container environment variable holding the timeout in seconds, or null for no timeout. */
  readonly variable: string | null;
}

/**
 * The engine timeout given in place of TimeoutSecondsPath: about 24.8 days, the longest delay a
 * Node.js timer takes (2^31 - 1 ms). Step Functions' own default, 99999999 s, overflows it.
 */
const ENGINE_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export const ECS_RUN_TASK_SYNC = 'arn:aws:states:::ecs:runTask.sync';

/** Reads the YAML definition as written in the repository, with its CloudFormation references. */
export function readRawDefinition(path: string = DEFINITION_PATH): Definition {
  return parse(readFileSync(path, 'utf8')) as Definition;
}

/**
 * Loads the definition and resolves the references that serverless-step-functions would turn into
 * `Fn::Sub`: each `Fn::GetAtt: [<Name>LambdaFunction, Arn]` becomes a local function ARN.
 * Any other intrinsic function is an error, because the local engine could not run it.
 */
export function loadDefinition(path: string = DEFINITION_PATH): LoadedDefinition {
  const definition = readRawDefinition(path);
  const lambdaStates: Record<string, string> = {};
  const ecsStates: Record<string, EcsStateTimeout> = {};

  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') {
      continue;
    }
    const functionId = functionLogicalId(state.Resource);
    if (functionId !== null) {
      state.Resource = `${LOCAL_FUNCTION_ARN_PREFIX}${functionId}`;
      lambdaStates[stateName] = functionId;
    } else if (state.Resource === ECS_RUN_TASK_SYNC) {
      ecsStates[stateName] = { variable: moveTimeoutToStandIn(stateName, state) };
    } else {
      throw new Error(`State ${stateName} has resource ${JSON.stringify(state.Resource)}, which the local runner cannot run`);
    }
  }
  return { definition, lambdaStates, ecsStates };
}

function functionLogicalId(resource: unknown): string | null {
  if (resource === null || typeof resource !== 'object') {
    return null;
  }
  const getAtt = (resource as Record<string, unknown>)['Fn::GetAtt'];
  if (!Array.isArray(getAtt) || getAtt.length !== 2 || getAtt[1] !== 'Arn' || typeof getAtt[0] !== 'string') {
    throw new Error(`Unsupported resource reference ${JSON.stringify(resource)}; use Fn::GetAtt: [<Name>LambdaFunction, Arn]`);
  }
  return getAtt[0];
}

/**
 * Finds the container variable whose value is `States.Format('{}', <TimeoutSecondsPath>)`, and
 * replaces the state's TimeoutSecondsPath with ENGINE_TIMEOUT_SECONDS for the local engine.
 */
function moveTimeoutToStandIn(stateName: string, state: StateDefinition): string | null {
  const timeoutPath = state['TimeoutSecondsPath'];
  if (timeoutPath === undefined) {
    return null;
  }
  if (typeof timeoutPath !== 'string') {
    throw new Error(`State ${stateName} has a TimeoutSecondsPath that is not a string`);
  }
  const parameters = state['Parameters'] as { Overrides?: { ContainerOverrides?: { Environment?: Record<string, unknown>[] }[] } } | undefined;
  const variables = parameters?.Overrides?.ContainerOverrides?.flatMap((override) => override.Environment ?? []) ?? [];
  const carrier = variables.find((variable) => variable['Value.$'] === `States.Format('{}', ${timeoutPath})`);
  if (carrier === undefined || typeof carrier['Name'] !== 'string') {
    throw new Error(`State ${stateName} has TimeoutSecondsPath ${timeoutPath} but no container variable with Value.$ States.Format('{}', ${timeoutPath}), which the local runner needs to enforce the timeout`);
  }
  delete state['TimeoutSecondsPath'];
  state['TimeoutSeconds'] = ENGINE_TIMEOUT_SECONDS;
  return carrier['Name'];
}
