import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { createAcquireLockHandler } from '../functions/acquire-lock/handler.ts';
import { createEnsureLockTableHandler } from '../functions/ensure-lock-table/handler.ts';
import { createInsertLockRowHandler } from '../functions/insert-lock-row/handler.ts';
import { createReclaimLeaseHandler } from '../functions/reclaim-lease/handler.ts';
import type { ExecutionStatusChange, ReclaimResult } from '../functions/reclaim-lease/reclaim.ts';
import { createReleaseLockHandler } from '../functions/release-lock/handler.ts';
import { createResolveSettingsHandler } from '../functions/resolve-settings/handler.ts';
import type { RuntimeConfig } from '../functions/shared/config.ts';
import { createLogger, type StepDependencies } from '../functions/shared/step-handler.ts';
import type { SqlExecutor } from '../functions/shared/store/sql-executor.ts';
import { createStopCronTaskHandler } from '../functions/stop-cron-task/handler.ts';
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

/** The name that `wrapHandler` receives for the reclaim function, which is not a state. */
export const RECLAIM_HANDLER_NAME = 'ReclaimLease';

/** The reclaim function's result for the execution's status-change event. */
export interface LocalReclaim {
  /** The event delivered, as the EventBridge rule delivers it. */
  readonly event: ExecutionStatusChangeEvent;
  /** The function's result, or null when it threw. */
  readonly result: ReclaimResult | null;
  /** The error it threw, which Lambda would retry; null when it returned. */
  readonly error: { readonly name: string; readonly message: string } | null;
}

export interface LocalRunResult {
  readonly executionArn: string;
  readonly executionName: string;
  readonly status: ExecutionStatus;
  /** The execution's output; null unless it succeeded (as in Step Functions). */
  readonly output: unknown;
  readonly error: string | null;
  readonly cause: string | null;
  readonly events: readonly ExecutionEvent[];
  /** The reclaim after a FAILED or ABORTED execution when `reclaim` is set; null otherwise. */
  readonly reclaim: LocalReclaim | null;
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
  /** Wait state durations in milliseconds per state, such as WaitForCronTaskStop, to keep tests fast. */
  readonly waitTimeOverrides?: Record<string, number> | undefined;
  /**
   * Wraps a state's handler, for tests that inject faults at one step. The reclaim function is
   * wrapped too, under the name ReclaimLease.
   */
  readonly wrapHandler?: ((stateName: string, handler: LocalTaskHandler) => LocalTaskHandler) | undefined;
  /**
   * Delivers the status-change event of a FAILED or ABORTED execution to the reclaim function, as
   * the deployed EventBridge rule does, and waits for it before the result settles. Default false:
   * then abort() stops the execution's tasks itself.
   */
  readonly reclaim?: boolean | undefined;
  /** Time between two checks of a stopping task in the reclaim. Default 250 ms. */
  readonly reclaimCheckIntervalMilliseconds?: number | undefined;
  /** Called with each history event as it happens. */
  readonly onEvent?: ((event: ExecutionEvent) => void) | undefined;
}

export interface LocalExecution {
  readonly executionArn: string;
  readonly executionName: string;
  readonly result: Promise<LocalRunResult>;
  /**
   * Stops the execution as StopExecution does: a state already running finishes, and nothing
   * after it runs. With `reclaim` the reclaim function then stops the execution's tasks and frees
   * its lease; without it, abort() stops the tasks itself.
   */
  abort(): void;
}

/** Default time between two checks of a stopping task in a local reclaim. */
const LOCAL_RECLAIM_CHECK_INTERVAL_MILLISECONDS = 250;

type MiddyHandler = (event: never, context: Context) => Promise<unknown>;

/**
 * Creates the Lambda functions of serverless.yml by logical ID over the given dependencies. The
 * ECS calls of AcquireLock and StopCronTask go to the ECS stand-in.
 */
function createFunctions(dependencies: StepDependencies, ecs: LocalEcs): Record<string, MiddyHandler> {
  return {
    ResolveSettingsLambdaFunction: createResolveSettingsHandler({
      config: () => dependencies.resources().config,
      logger: dependencies.logger,
    }) as MiddyHandler,
    EnsureLockTableLambdaFunction: createEnsureLockTableHandler(dependencies) as MiddyHandler,
    InsertLockRowLambdaFunction: createInsertLockRowHandler(dependencies) as MiddyHandler,
    AcquireLockLambdaFunction: createAcquireLockHandler(dependencies, () => ecs) as MiddyHandler,
    ReleaseLockLambdaFunction: createReleaseLockHandler(dependencies) as MiddyHandler,
    StopCronTaskLambdaFunction: createStopCronTaskHandler({ logger: dependencies.logger, ecs: () => ecs }) as MiddyHandler,
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
  const dependencies: StepDependencies = { logger, resources: () => ({ config: options.config, executor: options.executor }) };
  const functions = createFunctions(dependencies, options.ecs);
  let aborted = false;

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
  for (const [stateName, handler] of Object.entries(handlers)) {
    const wrapped = options.wrapHandler ? options.wrapHandler(stateName, handler) : handler;
    // The local engine retries a state that fails after an abort; Step Functions schedules nothing more.
    handlers[stateName] = (input) => (aborted ? Promise.reject(abortedError(stateName)) : wrapped(input));
  }

  const input = options.input ?? {};
  const startedAtMilliseconds = Date.now();
  const stateMachine = new StateMachine(loaded.definition as never);
  const execution = stateMachine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
      ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
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
    const summary = summarizeExecution(executionArn, executionName, events);
    if (options.reclaim !== true || summary.status === 'SUCCEEDED') {
      return summary;
    }
    const event = executionStatusChangeEvent({
      executionArn,
      executionName,
      status: summary.status,
      input,
      startedAtMilliseconds,
      error: summary.error,
      cause: summary.cause,
    });
    return { ...summary, reclaim: await deliverToReclaim(event, dependencies, options) };
  })();

  return {
    executionArn,
    executionName,
    result,
    abort: () => {
      aborted = true;
      execution.abort();
      if (options.reclaim !== true) {
        void options.ecs.stopTasksOf(executionArn, 'Execution aborted');
      }
    },
  };
}

/** The whole EventBridge event, of which the reclaim function reads `detail`. */
export interface ExecutionStatusChangeEvent extends ExecutionStatusChange {
  readonly version: string;
  readonly id: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: ExecutionStatusChange['detail'] & {
    readonly startDate: number;
    readonly stopDate: number;
    readonly output: string | null;
    readonly inputDetails: { readonly included: boolean };
    readonly outputDetails: { readonly included: boolean } | null;
  };
}

/**
 * Builds the EventBridge event "Step Functions Execution Status Change" that the deployed rule
 * delivers to the reclaim function when an execution ends FAILED, TIMED_OUT or ABORTED.
 */
export function executionStatusChangeEvent(execution: {
  readonly executionArn: string;
  readonly executionName: string;
  readonly status: Exclude<ExecutionStatus, 'SUCCEEDED'> | 'TIMED_OUT';
  readonly input: unknown;
  readonly startedAtMilliseconds: number;
  readonly error: string | null;
  readonly cause: string | null;
}): ExecutionStatusChangeEvent {
  const stoppedAtMilliseconds = Date.now();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '000000000000',
    time: new Date(stoppedAtMilliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      name: execution.executionName,
      status: execution.status,
      startDate: execution.startedAtMilliseconds,
      stopDate: stoppedAtMilliseconds,
      input: JSON.stringify(execution.input),
      output: null,
      inputDetails: { included: true },
      outputDetails: null,
      error: execution.error,
      cause: execution.cause,
    },
  };
}

/** Calls the reclaim function in process against the same database and ECS stand-in. */
async function deliverToReclaim(event: ExecutionStatusChangeEvent, dependencies: StepDependencies, options: LocalRunOptions): Promise<LocalReclaim> {
  const reclaimHandler = createReclaimLeaseHandler({
    ...dependencies,
    ecs: () => options.ecs,
    checkIntervalMilliseconds: options.reclaimCheckIntervalMilliseconds ?? LOCAL_RECLAIM_CHECK_INTERVAL_MILLISECONDS,
  });
  const invoke: LocalTaskHandler = (payload) => reclaimHandler(payload, createLambdaContext('cronlock-local-ReclaimLeaseLambdaFunction'));
  const handler = options.wrapHandler ? options.wrapHandler(RECLAIM_HANDLER_NAME, invoke) : invoke;
  try {
    return { event, result: (await handler(event)) as ReclaimResult, error: null };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return { event, result: null, error: { name, message } };
  }
}

function abortedError(stateName: string): Error {
  const error = new Error(`State ${stateName} was not run because the execution was aborted`);
  error.name = 'States.Runtime';
  return error;
}

/** Runs one execution to its end. */
export async function runLocalExecution(options: LocalRunOptions): Promise<LocalRunResult> {
  const execution = await startLocalExecution(options);
  return execution.result;
}

function summarizeExecution(executionArn: string, executionName: string, events: readonly ExecutionEvent[]): LocalRunResult {
  const last = events.at(-1);
  const base = { executionArn, executionName, events, reclaim: null };
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

/** Returns the names of the states an execution entered, in order, from its history. */
export function enteredStates(events: readonly ExecutionEvent[]): string[] {
  return events.filter((event) => event.type === 'StateEntered' && event.state).map((event) => event.state?.name ?? '');
}
