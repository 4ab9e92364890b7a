import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { createAcquireLockHandler } from '../functions/acquire-lock/handler.ts';
import { createEnsureLockTableHandler } from '../functions/ensure-lock-table/handler.ts';
import { createInsertLockRowHandler } from '../functions/insert-lock-row/handler.ts';
import { createReleaseLockHandler } from '../functions/release-lock/handler.ts';
import { createResolveSettingsHandler } from '../functions/resolve-settings/handler.ts';
import type { RuntimeConfig } from '../functions/shared/config.ts';
import { createLogger, type StepDependencies } from '../functions/shared/step-handler.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';
import { loadDefinition, type LoadedDefinition } from './definition.ts';
import type { LocalEcs, RunTaskRequest } from './ecs-stand-in.ts';
import { registerExecutionName } from './execution-names.ts';
import { createLambdaContext } from './lambda-context.ts';

/** The ARN of the local state machine; execution ARNs are built from it as in AWS. */
export const LOCAL_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:cronlock-local';

/** A Task state's local implementation: its effective input in, its result out. */
export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

/** One entry of the local engine's execution history. */
export interface ExecutionEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly retry?: { readonly attempt: number };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly output?: unknown;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface LocalRunResult {
  readonly executionArn: string;
  readonly executionName: string;
  readonly status: ExecutionStatus;
  /** The execution's output; null unless it succeeded (as in Step Functions). */
  readonly output: unknown;
  readonly error: string | null;
  readonly cause: string | null;
  readonly events: readonly ExecutionEvent[];
}

export interface LocalRunOptions {
  /** The execution input, as given to StartExecution. Default `{}`. */
  readonly input?: unknown;
  /** The execution name; default a random UUID. A name is accepted once per database, as in AWS. */
  readonly executionName?: string | undefined;
  readonly executor: SqlExecutor;
  readonly config: RuntimeConfig;
  /** The ECS stand-in; share one between runs of one process to see all their tasks. */
  readonly ecs: LocalEcs;
  readonly logger?: Logger | undefined;
  readonly definition?: LoadedDefinition | undefined;
  /** Retry waits in milliseconds per state, as aws-local-stepfunctions takes them, to keep tests fast. */
  readonly retryIntervalOverrides?: Record<string, number | number[]> | undefined;
  /** Wraps a state's handler, for tests that inject faults at one step. */
  readonly wrapHandler?: ((stateName: string, handler: LocalTaskHandler) => LocalTaskHandler) | undefined;
  /** Called with each history event as it happens. */
  readonly onEvent?: ((event: ExecutionEvent) => void) | undefined;
}

export interface LocalExecution {
  readonly executionArn: string;
  readonly executionName: string;
  readonly result: Promise<LocalRunResult>;
  /** Stops the execution as StopExecution does, and stops its running tasks. */
  abort(): void;
}

type MiddyHandler = (event: never, context: Context) => Promise<unknown>;

/** The Lambda functions of serverless.yml by logical ID, built over the given dependencies. */
function createFunctions(dependencies: StepDependencies): Record<string, MiddyHandler> {
  return {
    ResolveSettingsLambdaFunction: createResolveSettingsHandler({
      config: () => dependencies.resources().config,
      logger: dependencies.logger,
    }) as MiddyHandler,
    EnsureLockTableLambdaFunction: createEnsureLockTableHandler(dependencies) as MiddyHandler,
    InsertLockRowLambdaFunction: createInsertLockRowHandler(dependencies) as MiddyHandler,
    AcquireLockLambdaFunction: createAcquireLockHandler(dependencies) as MiddyHandler,
    ReleaseLockLambdaFunction: createReleaseLockHandler(dependencies) as MiddyHandler,
  };
}

/**
 * Starts one execution of the real definition file with aws-local-stepfunctions. Lambda states
 * call the middy-wrapped handlers in process; ECS states run the job's command through the stand-in.
 */
export async function startLocalExecution(options: LocalRunOptions): Promise<LocalExecution> {
  const loaded = options.definition ?? loadDefinition();
  const executionName = options.executionName ?? randomUUID();
  if (options.executionName !== undefined) {
    await registerExecutionName(options.executor, executionName);
  }
  const executionArn = `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionName}`;
  const logger = options.logger ?? createLogger('WARN');
  const functions = createFunctions({ logger, resources: () => ({ config: options.config, executor: options.executor }) });

  const handlers: Record<string, LocalTaskHandler> = {};
  for (const [stateName, functionId] of Object.entries(loaded.lambdaStates)) {
    const handler = functions[functionId];
    if (handler === undefined) {
      throw new Error(`State ${stateName} references ${functionId}, which is not a cronlock function`);
    }
    handlers[stateName] = (input) => handler(input as never, createLambdaContext(`cronlock-local-${functionId}`));
  }
  for (const [stateName, timeout] of Object.entries(loaded.ecsStates)) {
    handlers[stateName] = (input) => options.ecs.runTaskSync(input as RunTaskRequest, timeout.variable);
  }
  if (options.wrapHandler) {
    for (const [stateName, handler] of Object.entries(handlers)) {
      handlers[stateName] = options.wrapHandler(stateName, handler);
    }
  }

  const input = options.input ?? {};
  const stateMachine = new StateMachine(loaded.definition as never);
  const execution = stateMachine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
    },
    noThrowOnAbort: true,
    context: {
      Execution: { Id: executionArn, Name: executionName, Input: input, StartTime: new Date().toISOString() },
      StateMachine: { Id: LOCAL_STATE_MACHINE_ARN, Name: 'cronlock-local' },
    } as never,
  });

  const events: ExecutionEvent[] = [];
  const collected = (async () => {
    for await (const event of execution.eventLogs) {
      const entry = event as unknown as ExecutionEvent;
      events.push(entry);
      options.onEvent?.(entry);
    }
  })();

  const result = (async (): Promise<LocalRunResult> => {
    try {
      await execution.result;
    } catch {
      // The failure is read from the history below, as the console shows it.
    }
    await collected;
    return summarizeExecution(executionArn, executionName, events);
  })();

  return {
    executionArn,
    executionName,
    result,
    abort: () => {
      execution.abort();
      void options.ecs.stopTasksOf(executionArn, 'Execution aborted');
    },
  };
}

/** Runs one execution to its end. */
export async function runLocalExecution(options: LocalRunOptions): Promise<LocalRunResult> {
  const execution = await startLocalExecution(options);
  return execution.result;
}

function summarizeExecution(executionArn: string, executionName: string, events: readonly ExecutionEvent[]): LocalRunResult {
  const last = events.at(-1);
  const base = { executionArn, executionName, events };
  switch (last?.type) {
    case 'ExecutionSucceeded':
      return { ...base, status: 'SUCCEEDED', output: last.output ?? null, error: null, cause: null };
    case 'ExecutionFailed':
      return { ...base, status: 'FAILED', output: null, error: last.Error ?? 'States.Runtime', cause: causeText(last.Cause) };
    default:
      return { ...base, status: 'ABORTED', output: null, error: null, cause: null };
  }
}

function causeText(cause: unknown): string | null {
  if (cause === undefined || cause === null) {
    return null;
  }
  if (typeof cause === 'string') {
    return cause;
  }
  return cause instanceof Error ? cause.message : JSON.stringify(cause);
}

/** The names of the states an execution entered, in order, from its history. */
export function enteredStates(events: readonly ExecutionEvent[]): string[] {
  return events.filter((event) => event.type === 'StateEntered' && event.state).map((event) => event.state?.name ?? '');
}
