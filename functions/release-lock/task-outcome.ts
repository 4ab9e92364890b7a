import type { CaughtError, ContainerSummary, Outcome } from '../shared/workflow-state.ts';

/**
 * Reading of what RunCron produced: the ECS task description on success, or the caught error.
 * Step Functions' `ecs:runTask.sync` fails with States.TaskFailed when any container, sidecars
 * included, exits non-zero, and puts the task description as JSON in the error's Cause. A RunTask
 * response with failures becomes AmazonECS.Unknown, throttling and capacity errors
 * ECS.AmazonECSException: in those cases no task started. On the failure path the workflow also
 * passes the task as StopCronTask last described it, which is the only description there is
 * after a timeout.
 */

/** Error names a failed execution ends with, besides the lock store's. */
export const CRON_ERROR_NAMES = {
  failed: 'CronFailed',
  notStarted: 'CronNotStarted',
  timedOut: 'CronTimedOut',
  stopped: 'CronStopped',
} as const;

const NOT_STARTED_ERRORS = new Set(['AmazonECS.Unknown', 'ECS.AmazonECSException', 'ECS.AccessDeniedException', 'ECS.InvalidParameterException', 'ECS.ClientException']);

export interface TaskOutcome {
  readonly outcome: Extract<Outcome, 'ran' | 'failed'>;
  readonly error: string | null;
  readonly cronStarted: boolean;
  readonly cronExitCode: number | null;
  readonly taskArn: string | null;
  readonly stopCode: string | null;
  readonly stoppedReason: string | null;
  readonly containers: readonly ContainerSummary[];
  readonly message: string;
}

interface TaskDescription {
  readonly taskArn: string | null;
  readonly stopCode: string | null;
  readonly stoppedReason: string | null;
  readonly containers: readonly ContainerSummary[];
}

/**
 * Classifies RunCron's result for the job's cron container `cronContainer`. `task` is RunCron's
 * result on success; after a caught error it is the task that StopCronTask stopped, or null.
 */
export function classifyTaskOutcome(task: unknown, taskError: CaughtError | undefined, cronContainer: string): TaskOutcome {
  if (taskError === undefined) {
    return fromDescription(readTaskDescription(task), cronContainer, null);
  }
  const stoppedTask = describedTaskOrNull(task);
  if (taskError.Error === 'States.TaskFailed') {
    const description = parseCause(taskError.Cause) ?? stoppedTask;
    if (description !== null) {
      return fromDescription(description, cronContainer, taskError);
    }
  }
  if (taskError.Error === 'States.Timeout') {
    return timedOut(stoppedTask, cronContainer);
  }
  if (stoppedTask !== null) {
    // StopCronTask found a task of this execution, so the cron started, whichever error RunCron reported.
    return fromDescription(stoppedTask, cronContainer, taskError);
  }
  const notStarted = NOT_STARTED_ERRORS.has(taskError.Error) || taskError.Error.startsWith('ECS.');
  return {
    ...noTask(),
    outcome: 'failed',
    error: notStarted ? CRON_ERROR_NAMES.notStarted : CRON_ERROR_NAMES.failed,
    cronStarted: !notStarted,
    message: notStarted
      ? `The cron did not start: ${taskError.Error}: ${shorten(taskError.Cause ?? '')}`
      : `RunCron failed with ${taskError.Error}: ${shorten(taskError.Cause ?? '')}`,
  };
}

function timedOut(description: TaskDescription | null, cronContainer: string): TaskOutcome {
  const reason = 'The cron ran past its timeout (the lease left minus stop grace and margin)';
  if (description === null) {
    return {
      ...noTask(),
      outcome: 'failed',
      error: CRON_ERROR_NAMES.timedOut,
      cronStarted: true,
      message: `${reason}; StopCronTask found no task of this execution that ECS still lists.`,
    };
  }
  return {
    ...describedFields(description, cronContainer),
    outcome: 'failed',
    error: CRON_ERROR_NAMES.timedOut,
    cronStarted: true,
    message: `${reason}, so task ${description.taskArn ?? 'without an ARN'} was stopped${describeStop(description)}: ${describeExits(description)}.`,
  };
}

/** Describes the exits of the containers other than the cron's, as a sentence, or '' when there are none. */
function describeOtherExits(description: TaskDescription, cronContainer: string): string {
  const others = description.containers.filter((container) => container.name !== cronContainer);
  if (others.length === 0) {
    return '';
  }
  return ` Other containers: ${others.map((container) => `${container.name} exited ${container.exitCode ?? 'without an exit code'}`).join(', ')}.`;
}

function fromDescription(description: TaskDescription, cronContainer: string, taskError: CaughtError | null): TaskOutcome {
  const cron = description.containers.find((container) => container.name === cronContainer);
  const failedOthers = description.containers.filter((container) => container.name !== cronContainer && container.exitCode !== 0);
  const exits = describeExits(description);
  const stop = describeStop(description);
  const common = describedFields(description, cronContainer);

  if (cron?.exitCode === 0) {
    const sidecarNote = failedOthers.length > 0
      ? ` The sidecar exit does not count as a cron failure: ${failedOthers.map((container) => `${container.name} exited ${container.exitCode ?? 'without an exit code'}`).join(', ')}.`
      : '';
    // An exit after a stop by ECS (a Spot interruption, an operator) is worth naming even when it is 0.
    const stopNote = description.stopCode !== null && description.stopCode !== 'EssentialContainerExited' ? stop : '';
    return { ...common, outcome: 'ran', error: null, cronStarted: true, message: `The cron ran: ${exits}${stopNote}.${sidecarNote}` };
  }
  if (cron === undefined || cron.exitCode === null) {
    const started = description.stopCode !== 'TaskFailedToStart';
    return {
      ...common,
      outcome: 'failed',
      error: started ? CRON_ERROR_NAMES.stopped : CRON_ERROR_NAMES.notStarted,
      cronStarted: started,
      message: cron === undefined
        ? `The task has no container named "${cronContainer}"; check the container name setting. ${exits}${stop}.`
        : `The cron container "${cronContainer}" stopped without an exit code${stop}.${describeOtherExits(description, cronContainer)}`,
    };
  }
  const caught = taskError ? ` Step Functions reported ${taskError.Error}.` : '';
  return {
    ...common,
    outcome: 'failed',
    error: CRON_ERROR_NAMES.failed,
    cronStarted: true,
    message: `The cron exited with code ${cron.exitCode}: ${exits}${stop}.${caught}`,
  };
}

function describedFields(description: TaskDescription, cronContainer: string): Pick<TaskOutcome, 'cronExitCode' | 'taskArn' | 'stopCode' | 'stoppedReason' | 'containers'> {
  return {
    cronExitCode: description.containers.find((container) => container.name === cronContainer)?.exitCode ?? null,
    taskArn: description.taskArn,
    stopCode: description.stopCode,
    stoppedReason: description.stoppedReason,
    containers: description.containers,
  };
}

/** Names each container with its exit code, such as `whmcs exited 0, log-router exited 137`. */
function describeExits(description: TaskDescription): string {
  if (description.containers.length === 0) {
    return 'no containers reported';
  }
  return description.containers.map((container) => `${container.name} exited ${container.exitCode ?? 'without an exit code'}`).join(', ');
}

function describeStop(description: TaskDescription): string {
  return description.stopCode ? ` (stop code ${description.stopCode}: ${description.stoppedReason ?? 'no reason given'})` : '';
}

/** Reads the task description in `task`, or returns null when it names no task and no containers. */
function describedTaskOrNull(task: unknown): TaskDescription | null {
  if (task === null || task === undefined) {
    return null;
  }
  const description = readTaskDescription(task);
  return description.containers.length > 0 || description.taskArn !== null ? description : null;
}

function parseCause(cause: string | undefined): TaskDescription | null {
  if (cause === undefined) {
    return null;
  }
  try {
    return describedTaskOrNull(JSON.parse(cause));
  } catch {
    return null;
  }
}

/** Reads an ECS task description in the API's PascalCase or the SDK's camelCase. */
export function readTaskDescription(task: unknown): TaskDescription {
  const record = asRecord(task);
  const containers = asArray(field(record, 'Containers')).map((item) => {
    const container = asRecord(item);
    const exitCode = field(container, 'ExitCode');
    return {
      name: asText(field(container, 'Name')) ?? 'unnamed',
      exitCode: typeof exitCode === 'number' ? exitCode : null,
      reason: asText(field(container, 'Reason')),
    };
  });
  return {
    taskArn: asText(field(record, 'TaskArn')),
    stopCode: asText(field(record, 'StopCode')),
    stoppedReason: asText(field(record, 'StoppedReason')),
    containers,
  };
}

function noTask(): Omit<TaskOutcome, 'outcome' | 'error' | 'cronStarted' | 'message'> {
  return { cronExitCode: null, taskArn: null, stopCode: null, stoppedReason: null, containers: [] };
}

function field(record: Record<string, unknown>, pascalName: string): unknown {
  return record[pascalName] ?? record[pascalName.charAt(0).toLowerCase() + pascalName.slice(1)];
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asText(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
