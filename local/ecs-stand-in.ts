import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';

/**
 * A local stand-in for `arn:aws:states:::ecs:runTask.sync`: it runs the job's command as a child
 * process and returns what Step Functions returns for a stopped ECS task. Like the real
 * integration it fails with States.TaskFailed, the task description as JSON in the message, when
 * any container exits non-zero. It stops its own children at the state's timeout, because the
 * local engine only races the handler against the timeout and lets it run on.
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

export interface LocalEcsOptions {
  /** Shell command run in place of the job's container command. */
  readonly taskCommand?: string | undefined;
  readonly sidecars?: readonly SidecarDefinition[] | undefined;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped, as ECS `stopTimeout`. */
  readonly stopGraceSeconds: number;
  /** Variables added to every container's environment, before the task's own overrides. */
  readonly environment?: Readonly<Record<string, string>> | undefined;
  readonly onOutput?: ((line: TaskOutputLine) => void) | undefined;
}

export interface ContainerRecord {
  readonly name: string;
  exitCode: number | null;
  reason: string | null;
}

/** One task the stand-in started, kept for inspection by tests and the demo. */
export interface LocalTaskRecord {
  readonly taskArn: string;
  readonly executionArn: string | null;
  readonly startedBy: string | null;
  readonly startedAtMilliseconds: number;
  stoppedAtMilliseconds: number | null;
  stopCode: string | null;
  stoppedReason: string | null;
  readonly containers: ContainerRecord[];
}

interface RunningTask {
  readonly record: LocalTaskRecord;
  readonly stop: (reason: string) => Promise<void>;
  readonly stopped: Promise<void>;
}

const EXECUTION_TAG = 'cronlock:execution';

export class LocalEcs {
  readonly tasks: LocalTaskRecord[] = [];
  readonly #options: LocalEcsOptions;
  readonly #running = new Map<string, RunningTask>();

  constructor(options: LocalEcsOptions) {
    this.#options = options;
  }

  /**
   * Runs the task to its end and returns its description, or throws States.TaskFailed. When the
   * container variable `timeoutVariable` holds a number of seconds, the task is stopped at that
   * deadline and, once stopped, the call throws States.Timeout as the state would.
   */
  async runTaskSync(request: RunTaskRequest, timeoutVariable: string | null = null): Promise<Record<string, unknown>> {
    const override = request.Overrides?.ContainerOverrides?.[0];
    if (override === undefined) {
      throw taskError('States.Runtime', 'RunCron has no container override; the local runner needs the container name and command');
    }
    const environment = Object.fromEntries((override.Environment ?? []).map((variable) => [variable.Name, variable.Value]));
    const timeoutSeconds = timeoutVariable === null ? Number.NaN : Number(environment[timeoutVariable]);
    const record: LocalTaskRecord = {
      taskArn: `arn:aws:ecs:us-east-1:000000000000:task/${request.Cluster}/${randomBytes(16).toString('hex')}`,
      executionArn: request.Tags?.find((tag) => tag.Key === EXECUTION_TAG)?.Value ?? null,
      startedBy: request.StartedBy ?? null,
      startedAtMilliseconds: Date.now(),
      stoppedAtMilliseconds: null,
      stopCode: null,
      stoppedReason: null,
      containers: [],
    };
    this.tasks.push(record);

    const childEnvironment = { ...process.env, ...this.#options.environment, ...environment };
    const essential = this.#startContainer(record, override.Name, this.#essentialCommand(override.Command), childEnvironment);
    const sidecars = (this.#options.sidecars ?? []).map((sidecar) =>
      this.#startContainer(record, sidecar.name, { shell: sidecar.command }, childEnvironment));

    let stopRequest: string | null = null;
    let timedOut = false;
    const stopAll = async (reason: string) => {
      stopRequest ??= reason;
      await Promise.all([essential, ...sidecars].map((container) => container.terminate(this.#options.stopGraceSeconds)));
    };
    const timeoutTimer = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
      ? setTimeout(() => {
        timedOut = true;
        void stopAll(`Task stopped at the state's timeout of ${timeoutSeconds} s`);
      }, timeoutSeconds * 1000)
      : undefined;

    const stopped = (async () => {
      await essential.exited;
      // As in ECS, the task stops when its essential container exits: the sidecars get SIGTERM.
      await Promise.all(sidecars.map((container) => container.terminate(this.#options.stopGraceSeconds)));
      clearTimeout(timeoutTimer);
    })();
    this.#running.set(record.taskArn, { record, stop: stopAll, stopped });
    try {
      await stopped;
    } finally {
      this.#running.delete(record.taskArn);
    }

    record.stoppedAtMilliseconds = Date.now();
    const startFailure = record.containers.find((container) => container.exitCode === null && container.reason?.startsWith('CannotStartContainerError'));
    if (startFailure) {
      record.stopCode = 'TaskFailedToStart';
      record.stoppedReason = startFailure.reason;
    } else if (stopRequest !== null) {
      record.stopCode = 'UserInitiated';
      record.stoppedReason = stopRequest;
    } else {
      record.stopCode = 'EssentialContainerExited';
      record.stoppedReason = 'Essential container in task exited';
    }

    const description = describeTask(record, request);
    if (timedOut) {
      throw taskError('States.Timeout', `Task ${record.taskArn} ran past the state's timeout of ${timeoutSeconds} s and was stopped`);
    }
    if (record.containers.some((container) => container.exitCode !== 0)) {
      throw taskError('States.TaskFailed', JSON.stringify(description));
    }
    return description;
  }

  /** Stops every running task of one execution (SIGTERM, grace, SIGKILL) and waits until they stopped. */
  async stopTasksOf(executionArn: string, reason: string): Promise<void> {
    const tasks = [...this.#running.values()].filter((task) => task.record.executionArn === executionArn);
    await Promise.all(tasks.map(async (task) => {
      await task.stop(reason);
      await task.stopped;
    }));
  }

  /** Tasks that have started and not yet stopped. */
  runningTasks(): LocalTaskRecord[] {
    return [...this.#running.values()].map((task) => task.record);
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

function describeTask(record: LocalTaskRecord, request: RunTaskRequest): Record<string, unknown> {
  return {
    TaskArn: record.taskArn,
    ClusterArn: `arn:aws:ecs:us-east-1:000000000000:cluster/${request.Cluster}`,
    TaskDefinitionArn: request.TaskDefinition,
    LastStatus: 'STOPPED',
    DesiredStatus: 'STOPPED',
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

function taskError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
