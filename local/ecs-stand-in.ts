import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type {
  DescribeTasksRequest,
  DescribeTasksResponse,
  ListTasksRequest,
  ListTasksResponse,
  StopTaskRequest,
  StopTaskResponse,
  Task,
  TaskStopCode,
} from '@aws-sdk/client-ecs';
import type { EcsTaskApi } from '../functions/shared/ecs/ecs-api.ts';

/**
 * A local stand-in for ECS. For `arn:aws:states:::ecs:runTask.sync` it runs the job's command as
 * a child process and returns what Step Functions returns for a stopped ECS task. Like the real
 * integration, it fails with States.TaskFailed when any container exits non-zero, with the task
 * description as JSON in the message. It also implements ListTasks, DescribeTasks and StopTask
 * (EcsTaskApi) over the same tasks, for StopCronTask, AcquireLock's check for running tasks and
 * the reclaim.
 *
 * At the state's timeout it throws States.Timeout and leaves the task running. Step Functions
 * does not document stopping a task when a `.sync` state times out, so the workflow's
 * StopCronTask state stops it. The local engine only races a handler against its timeout, so the
 * stand-in keeps the deadline itself.
 */

/** The RunCron request after the state's Parameters are applied, in the ECS API's casing. */
export interface RunTaskRequest {
  readonly Cluster: string;
  readonly TaskDefinition: string;
  readonly StartedBy?: string;
  readonly Tags?: readonly { Key: string; Value: string }[];
  readonly Overrides?: {
    readonly ContainerOverrides?: readonly {
      readonly Name: string;
      readonly Command?: readonly string[];
      readonly Environment?: readonly { Name: string; Value: string }[];
    }[];
  };
}

export interface SidecarDefinition {
  readonly name: string;
  /** Shell command. It receives SIGTERM when the essential container exits, like an ECS sidecar. */
  readonly command: string;
}

export interface TaskOutputLine {
  readonly taskArn: string;
  readonly container: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** The errors Step Functions raises when RunTask starts no task. */
export type RunTaskErrorName = 'AmazonECS.Unknown' | 'ECS.AmazonECSException';

/** RunTask calls that fail before any task starts, as ECS does without capacity or when throttled. */
export interface RunTaskFailure {
  /**
   * AmazonECS.Unknown: RunTask returned a non-empty `failures` list. ECS.AmazonECSException:
   * throttling, or no capacity for the task.
   */
  readonly errorName: RunTaskErrorName;
  /** How many RunTask calls in a row fail this way. */
  readonly count: number;
}

export interface LocalEcsOptions {
  /** Shell command run in place of the job's container command. */
  readonly taskCommand?: string | undefined;
  readonly sidecars?: readonly SidecarDefinition[] | undefined;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped, as ECS `stopTimeout`. */
  readonly stopGraceSeconds: number;
  /** Variables added to every container's environment, before the task's own overrides. */
  readonly environment?: Readonly<Record<string, string>> | undefined;
  readonly onOutput?: ((line: TaskOutputLine) => void) | undefined;
  /** RunTask failures to raise, in order, before tasks start again. */
  readonly runTaskFailures?: readonly RunTaskFailure[] | undefined;
}

export interface ContainerRecord {
  readonly name: string;
  exitCode: number | null;
  reason: string | null;
}

/** One task the stand-in started, kept for inspection by tests and the demo. */
export interface LocalTaskRecord {
  readonly taskArn: string;
  readonly cluster: string;
  readonly executionArn: string | null;
  readonly startedBy: string | null;
  readonly startedAtMilliseconds: number;
  /** RUNNING, then STOPPING once asked to stop or once the essential container exited, then STOPPED. */
  lastStatus: 'RUNNING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  stoppingAtMilliseconds: number | null;
  stoppedAtMilliseconds: number | null;
  stopCode: string | null;
  stoppedReason: string | null;
  readonly containers: ContainerRecord[];
  /** The task's tags; StopTask deletes them, as ECS does. */
  tags: { key: string; value: string }[];
  /** The essential container's override, as DescribeTasks returns it. */
  readonly override: { readonly name: string; readonly command: readonly string[]; readonly environment: readonly { name: string; value: string }[] };
}

interface RunningTask {
  readonly record: LocalTaskRecord;
  readonly stop: (reason: string, stopCode: TaskStopCode) => void;
  readonly stopped: Promise<void>;
}

const EXECUTION_TAG = 'cronlock:execution';
const ACCOUNT_PREFIX = 'arn:aws:ecs:us-east-1:000000000000';

/** Messages like the ones ECS gives for each RunTask failure; no task starts. */
const RUN_TASK_FAILURE_MESSAGES: Readonly<Record<RunTaskErrorName, string>> = {
  'AmazonECS.Unknown': 'RunTask answered with failures [{"reason": "RESOURCE:MEMORY"}] and started no task',
  'ECS.AmazonECSException': 'Capacity is unavailable at this time; try again later or in another Availability Zone. No task was started',
};

export class LocalEcs implements EcsTaskApi {
  readonly tasks: LocalTaskRecord[] = [];
  readonly #options: LocalEcsOptions;
  readonly #running = new Map<string, RunningTask>();
  readonly #runTaskFailures: { errorName: RunTaskErrorName; remaining: number }[];

  constructor(options: LocalEcsOptions) {
    this.#options = options;
    this.#runTaskFailures = (options.runTaskFailures ?? []).map((failure) => {
      if (!Number.isInteger(failure.count) || failure.count < 1) {
        throw new RangeError(`A RunTask failure count must be a positive whole number, got ${failure.count}`);
      }
      return { errorName: failure.errorName, remaining: failure.count };
    });
  }

  /**
   * Runs the task to its end and returns its description, or throws States.TaskFailed. When the
   * container variable `timeoutVariable` contains a number of seconds, the call throws
   * States.Timeout at that deadline, and the task runs on until something stops it.
   */
  async runTaskSync(request: RunTaskRequest, timeoutVariable: string | null = null): Promise<Record<string, unknown>> {
    this.#failRunTaskIfPlanned();
    const override = request.Overrides?.ContainerOverrides?.[0];
    if (override === undefined) {
      throw taskError('States.Runtime', 'RunCron has no container override; the local runner needs the container name and command');
    }
    const environment = Object.fromEntries((override.Environment ?? []).map((variable) => [variable.Name, variable.Value]));
    const timeoutSeconds = timeoutVariable === null ? Number.NaN : Number(environment[timeoutVariable]);
    const record: LocalTaskRecord = {
      taskArn: `${ACCOUNT_PREFIX}:task/${request.Cluster}/${randomBytes(16).toString('hex')}`,
      cluster: request.Cluster,
      executionArn: request.Tags?.find((tag) => tag.Key === EXECUTION_TAG)?.Value ?? null,
      startedBy: request.StartedBy ?? null,
      startedAtMilliseconds: Date.now(),
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      stoppingAtMilliseconds: null,
      stoppedAtMilliseconds: null,
      stopCode: null,
      stoppedReason: null,
      containers: [],
      tags: (request.Tags ?? []).map((tag) => ({ key: tag.Key, value: tag.Value })),
      override: {
        name: override.Name,
        command: override.Command ?? [],
        environment: (override.Environment ?? []).map((variable) => ({ name: variable.Name, value: variable.Value })),
      },
    };
    this.tasks.push(record);

    const childEnvironment = { ...process.env, ...this.#options.environment, ...environment };
    const essential = this.#startContainer(record, override.Name, this.#essentialCommand(override.Command), childEnvironment);
    const sidecars = (this.#options.sidecars ?? []).map((sidecar) =>
      this.#startContainer(record, sidecar.name, { shell: sidecar.command }, childEnvironment));

    let stopRequest: { reason: string; stopCode: TaskStopCode } | null = null;
    const stop = (reason: string, stopCode: TaskStopCode) => {
      if (stopRequest === null) {
        stopRequest = { reason, stopCode };
        record.desiredStatus = 'STOPPED';
        record.lastStatus = 'STOPPING';
        record.stoppingAtMilliseconds = Date.now();
      }
      for (const container of [essential, ...sidecars]) {
        void container.terminate(this.#options.stopGraceSeconds);
      }
    };

    const stopped = (async () => {
      await essential.exited;
      // As in ECS, the task stops when its essential container exits: the sidecars get SIGTERM.
      if (record.lastStatus === 'RUNNING') {
        record.lastStatus = 'STOPPING';
        record.stoppingAtMilliseconds = Date.now();
      }
      await Promise.all(sidecars.map((container) => container.terminate(this.#options.stopGraceSeconds)));
      finishTask(record, stopRequest);
      this.#running.delete(record.taskArn);
    })();
    this.#running.set(record.taskArn, { record, stop, stopped });

    if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) {
      const timedOut = await raceDeadline(stopped, timeoutSeconds * 1000);
      if (timedOut) {
        throw taskError('States.Timeout', `Task ${record.taskArn} ran past the state's timeout of ${timeoutSeconds} s; it is still running until it is stopped`);
      }
    } else {
      await stopped;
    }

    const description = describeTask(record, request);
    if (record.containers.some((container) => container.exitCode !== 0)) {
      throw taskError('States.TaskFailed', JSON.stringify(description));
    }
    return description;
  }

  /**
   * Stops every running task of one execution (SIGTERM, grace, SIGKILL) and waits until they
   * stopped. `stopCode` lets tests stop a task as ECS itself would, for example SpotInterruption.
   */
  async stopTasksOf(executionArn: string, reason: string, stopCode: TaskStopCode = 'UserInitiated'): Promise<void> {
    const tasks = [...this.#running.values()].filter((task) => task.record.executionArn === executionArn);
    await Promise.all(tasks.map(async (task) => {
      task.stop(reason, stopCode);
      await task.stopped;
    }));
  }

  /** Tasks that have started and not yet stopped. */
  runningTasks(): LocalTaskRecord[] {
    return [...this.#running.values()].map((task) => task.record);
  }

  /** ListTasks: the tasks of a cluster with a StartedBy and desired status (RUNNING when not given). */
  listTasks(request: ListTasksRequest): Promise<ListTasksResponse> {
    const desiredStatus = request.desiredStatus ?? 'RUNNING';
    const taskArns = this.tasks
      .filter((task) => request.cluster === undefined || clusterName(request.cluster) === task.cluster)
      .filter((task) => request.startedBy === undefined || task.startedBy === request.startedBy)
      .filter((task) => task.desiredStatus === desiredStatus)
      .map((task) => task.taskArn);
    return Promise.resolve({ taskArns });
  }

  /** DescribeTasks: tasks by ARN, with tags when `include` contains TAGS. Unknown ARNs are failures. */
  describeTasks(request: DescribeTasksRequest): Promise<DescribeTasksResponse> {
    const includeTags = request.include?.includes('TAGS') === true;
    const tasks: Task[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const taskArn of request.tasks ?? []) {
      const record = this.tasks.find((task) => task.taskArn === taskArn);
      if (record === undefined) {
        failures.push({ arn: taskArn, reason: 'MISSING' });
      } else {
        tasks.push(describeForApi(record, includeTags));
      }
    }
    return Promise.resolve({ tasks, failures });
  }

  /**
   * StopTask: sets the task's desired status to STOPPED and returns at once, as ECS does. The
   * containers get SIGTERM, then SIGKILL after the stop grace. Deletes the task's tags, as ECS does.
   */
  stopTask(request: StopTaskRequest): Promise<StopTaskResponse> {
    const record = this.tasks.find((task) => task.taskArn === request.task);
    if (record === undefined) {
      return Promise.reject(taskError('InvalidParameterException', `The referenced task ${request.task ?? ''} was not found.`));
    }
    const running = this.#running.get(record.taskArn);
    if (running !== undefined) {
      running.stop(request.reason ?? 'Task stopped by a StopTask call', 'UserInitiated');
      record.tags = [];
    }
    return Promise.resolve({ task: describeForApi(record, false) });
  }

  #failRunTaskIfPlanned(): void {
    const failure = this.#runTaskFailures[0];
    if (failure === undefined) {
      return;
    }
    failure.remaining -= 1;
    if (failure.remaining === 0) {
      this.#runTaskFailures.shift();
    }
    throw taskError(failure.errorName, RUN_TASK_FAILURE_MESSAGES[failure.errorName]);
  }

  #essentialCommand(command: readonly string[] | undefined): { shell: string } | { argv: readonly string[] } {
    if (this.#options.taskCommand !== undefined) {
      return { shell: this.#options.taskCommand };
    }
    if (command === undefined || command.length === 0) {
      throw taskError('States.Runtime', 'RunCron has no command and no --task-command was given');
    }
    return { argv: command };
  }

  #startContainer(
    record: LocalTaskRecord,
    name: string,
    command: { shell: string } | { argv: readonly string[] },
    environment: NodeJS.ProcessEnv,
  ): StartedContainer {
    const container: ContainerRecord = { name, exitCode: null, reason: null };
    record.containers.push(container);
    const [program, ...args] = 'shell' in command ? ['/bin/sh', '-c', command.shell] : command.argv;
    const child = spawn(program ?? '/bin/false', args, { env: environment, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.#forwardOutput(child, record.taskArn, name);

    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        container.reason = `CannotStartContainerError: ${error.message}`;
        resolve();
      });
      child.once('close', (code, signal) => {
        container.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
        resolve();
      });
    });
    return { exited, terminate: (graceSeconds) => terminate(child, exited, graceSeconds) };
  }

  #forwardOutput(child: ChildProcess, taskArn: string, container: string): void {
    const onOutput = this.#options.onOutput;
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (source === null) {
        continue;
      }
      if (onOutput === undefined) {
        source.resume();
        continue;
      }
      createInterface({ input: source }).on('line', (line) => onOutput({ taskArn, container, stream, line }));
    }
  }
}

interface StartedContainer {
  readonly exited: Promise<void>;
  readonly terminate: (graceSeconds: number) => Promise<void>;
}

/** Resolves true at the deadline, or false when `work` settles first. */
async function raceDeadline(work: Promise<void>, milliseconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), milliseconds);
  });
  try {
    return await Promise.race([work.then(() => false), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function finishTask(record: LocalTaskRecord, stopRequest: { reason: string; stopCode: TaskStopCode } | null): void {
  record.stoppedAtMilliseconds = Date.now();
  record.lastStatus = 'STOPPED';
  record.desiredStatus = 'STOPPED';
  const startFailure = record.containers.find((container) => container.exitCode === null && container.reason?.startsWith('CannotStartContainerError'));
  if (startFailure) {
    record.stopCode = 'TaskFailedToStart';
    record.stoppedReason = startFailure.reason;
  } else if (stopRequest !== null) {
    record.stopCode = stopRequest.stopCode;
    record.stoppedReason = stopRequest.reason;
  } else {
    record.stopCode = 'EssentialContainerExited';
    record.stoppedReason = 'Essential container in task exited';
  }
}

/** Sends SIGTERM to the container's process group, then SIGKILL after the grace, as `docker stop` does. */
async function terminate(child: ChildProcess, exited: Promise<void>, graceSeconds: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    await exited;
    return;
  }
  signalGroup(child.pid, 'SIGTERM');
  const killTimer = setTimeout(() => signalGroup(child.pid ?? 0, 'SIGKILL'), graceSeconds * 1000);
  await exited;
  clearTimeout(killTimer);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Returns the cluster name of a cluster name or ARN. */
function clusterName(cluster: string): string {
  return cluster.includes(':cluster/') ? cluster.slice(cluster.indexOf(':cluster/') + ':cluster/'.length) : cluster;
}

/** The task as Step Functions' `ecs:runTask.sync` returns it, in PascalCase. */
function describeTask(record: LocalTaskRecord, request: RunTaskRequest): Record<string, unknown> {
  return {
    TaskArn: record.taskArn,
    ClusterArn: `${ACCOUNT_PREFIX}:cluster/${request.Cluster}`,
    TaskDefinitionArn: request.TaskDefinition,
    LastStatus: record.lastStatus,
    DesiredStatus: record.desiredStatus,
    StartedBy: record.startedBy,
    StopCode: record.stopCode,
    StoppedReason: record.stoppedReason,
    StartedAt: new Date(record.startedAtMilliseconds).toISOString(),
    StoppedAt: new Date(record.stoppedAtMilliseconds ?? Date.now()).toISOString(),
    Containers: record.containers.map((container) => ({
      Name: container.name,
      LastStatus: 'STOPPED',
      ...(container.exitCode === null ? {} : { ExitCode: container.exitCode }),
      ...(container.reason === null ? {} : { Reason: container.reason }),
    })),
    Tags: request.Tags ?? [],
  };
}

/** Describes the task as the ECS API (and so the SDK) does, in camelCase. */
function describeForApi(record: LocalTaskRecord, includeTags: boolean): Task {
  return {
    taskArn: record.taskArn,
    clusterArn: `${ACCOUNT_PREFIX}:cluster/${record.cluster}`,
    lastStatus: record.lastStatus,
    desiredStatus: record.desiredStatus,
    startedBy: record.startedBy ?? undefined,
    startedAt: new Date(record.startedAtMilliseconds),
    ...(record.stoppingAtMilliseconds === null ? {} : { stoppingAt: new Date(record.stoppingAtMilliseconds) }),
    ...(record.stoppedAtMilliseconds === null ? {} : { stoppedAt: new Date(record.stoppedAtMilliseconds) }),
    ...(record.stopCode === null ? {} : { stopCode: record.stopCode as TaskStopCode }),
    ...(record.stoppedReason === null ? {} : { stoppedReason: record.stoppedReason }),
    containers: record.containers.map((container) => ({
      name: container.name,
      lastStatus: container.exitCode === null && record.lastStatus !== 'STOPPED' ? 'RUNNING' : 'STOPPED',
      ...(container.exitCode === null ? {} : { exitCode: container.exitCode }),
      ...(container.reason === null ? {} : { reason: container.reason }),
    })),
    overrides: {
      containerOverrides: [{
        name: record.override.name,
        command: [...record.override.command],
        environment: record.override.environment.map((variable) => ({ ...variable })),
      }],
    },
    ...(includeTags ? { tags: record.tags.map((tag) => ({ ...tag })) } : {}),
  };
}

function taskError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
