import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
  type DescribeTasksRequest,
  type DescribeTasksResponse,
  type ListTasksRequest,
  type ListTasksResponse,
  type StopTaskRequest,
  type StopTaskResponse,
} from '@aws-sdk/client-ecs';
import { CronlockError } from '../errors.ts';

/**
 * The ECS calls cronlock makes outside RunCron: finding a job's tasks, and stopping one. The
 * Lambda functions use the SDK client through createEcsTaskApi; the local runner passes LocalEcs,
 * which implements the same three calls over its child processes.
 */
export interface EcsTaskApi {
  listTasks(request: ListTasksRequest): Promise<ListTasksResponse>;
  describeTasks(request: DescribeTasksRequest): Promise<DescribeTasksResponse>;
  stopTask(request: StopTaskRequest): Promise<StopTaskResponse>;
}

/**
 * An ECS call that failed in a way a retry may fix: throttling, a server error or a lost
 * connection. The state machine retries it by this name.
 */
export class EcsUnavailableError extends CronlockError {
  readonly operation: string;

  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super(`ECS ${operation} failed and may succeed on a retry: ${message}`, options);
    this.name = 'EcsUnavailableError';
    this.operation = operation;
  }
}

/** An ECS call that a retry does not fix, such as a missing permission or an unknown cluster. */
export class EcsRequestError extends CronlockError {
  readonly operation: string;

  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super(`ECS ${operation} failed: ${message}`, options);
    this.name = 'EcsRequestError';
    this.operation = operation;
  }
}

/** SDK error names of ECS faults that go away by themselves. */
const TRANSIENT_ECS_ERROR_NAMES = new Set([
  'ServerException',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Node.js network error codes, on the error or on its cause. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH']);

/** Creates the ECS API over the SDK client, mapping its errors to EcsUnavailableError and EcsRequestError. */
export function createEcsTaskApi(client: ECSClient = new ECSClient({})): EcsTaskApi {
  return {
    listTasks: (request) => callEcs('ListTasks', () => client.send(new ListTasksCommand(request))),
    describeTasks: (request) => callEcs('DescribeTasks', () => client.send(new DescribeTasksCommand(request))),
    stopTask: (request) => callEcs('StopTask', () => client.send(new StopTaskCommand(request))),
  };
}

/** Returns a provider that creates the SDK-backed ECS API on first use, once per cold start. */
export function lazyEcsTaskApi(): () => EcsTaskApi {
  let api: EcsTaskApi | undefined;
  return () => (api ??= createEcsTaskApi());
}

async function callEcs<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyEcsError(operation, error);
  }
}

/** Maps an SDK or network error of an ECS call to the cronlock error family. */
export function classifyEcsError(operation: string, error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (isTransient(error, name)) {
    return new EcsUnavailableError(operation, `${name}: ${message}`, { cause: error });
  }
  return new EcsRequestError(operation, `${name}: ${message}. ${adviceFor(name, operation)}`, { cause: error });
}

function isTransient(error: unknown, name: string): boolean {
  if (TRANSIENT_ECS_ERROR_NAMES.has(name)) {
    return true;
  }
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) {
    return true;
  }
  for (const candidate of [error, (error as { cause?: unknown } | null)?.cause]) {
    const code = (candidate as { code?: unknown } | null | undefined)?.code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) {
      return true;
    }
  }
  return false;
}

function adviceFor(name: string, operation: string): string {
  switch (name) {
    case 'AccessDeniedException':
      return `Grant the function's role ecs:${operation} on the cluster's tasks.`;
    case 'ClusterNotFoundException':
      return 'Check the cluster setting (CRONLOCK_ECS_CLUSTER): the cluster must exist in the region of the function.';
    case 'InvalidParameterException':
      return 'Check the cluster and task identifiers in the request.';
    default:
      return 'A retry does not fix this error.';
  }
}
