import { describe, expect, it } from 'vitest';
import { classifyTaskOutcome, CRON_ERROR_NAMES } from '../../functions/release-lock/task-outcome.ts';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/whmcs/0f3c';

/** Describes a stopped task as Step Functions does, in PascalCase. */
function stoppedTask(containers: readonly [string, number | null][], stopCode = 'EssentialContainerExited', stoppedReason = 'Essential container in task exited') {
  return {
    TaskArn: TASK_ARN,
    LastStatus: 'STOPPED',
    StopCode: stopCode,
    StoppedReason: stoppedReason,
    Containers: containers.map(([Name, ExitCode]) => (ExitCode === null ? { Name } : { Name, ExitCode })),
  };
}

describe('classifyTaskOutcome', () => {
  it('C9: cron 0 and sidecar 137 ran', () => {
    const cause = JSON.stringify(stoppedTask([['whmcs', 0], ['log-router', 137]]));

    const outcome = classifyTaskOutcome(null, { Error: 'States.TaskFailed', Cause: cause }, 'whmcs');

    expect(outcome.outcome).toBe('ran');
    expect(outcome.error).toBeNull();
    expect(outcome.cronExitCode).toBe(0);
    expect(outcome.containers).toEqual([
      { name: 'whmcs', exitCode: 0, reason: null },
      { name: 'log-router', exitCode: 137, reason: null },
    ]);
    expect(outcome.message).toContain('whmcs exited 0, log-router exited 137');
    expect(outcome.message).toContain('sidecar exit does not count');
  });

  it('C10: capacity error did not start the cron', () => {
    const outcome = classifyTaskOutcome(null, { Error: 'ECS.AmazonECSException', Cause: 'Capacity is unavailable at this time.' }, 'whmcs');

    expect(outcome.outcome).toBe('failed');
    expect(outcome.error).toBe(CRON_ERROR_NAMES.notStarted);
    expect(outcome.cronStarted).toBe(false);
    expect(outcome.message).toContain('The cron did not start: ECS.AmazonECSException');
  });

  it('C10: RunTask failures did not start the cron', () => {
    const outcome = classifyTaskOutcome(null, { Error: 'AmazonECS.Unknown', Cause: 'RESOURCE:MEMORY' }, 'whmcs');

    expect(outcome.error).toBe(CRON_ERROR_NAMES.notStarted);
    expect(outcome.cronStarted).toBe(false);
  });

  it('timeout reads the task StopCronTask stopped', () => {
    const task = stoppedTask([['whmcs', 143]], 'UserInitiated', 'cronlock: execution e1 stops its cron after RunCron failed with States.Timeout');

    const outcome = classifyTaskOutcome(task, { Error: 'States.Timeout', Cause: 'timed out' }, 'whmcs');

    expect(outcome.error).toBe(CRON_ERROR_NAMES.timedOut);
    expect(outcome.cronStarted).toBe(true);
    expect(outcome.cronExitCode).toBe(143);
    expect(outcome.taskArn).toBe(TASK_ARN);
    expect(outcome.stopCode).toBe('UserInitiated');
    expect(outcome.message).toContain(`task ${TASK_ARN} was stopped (stop code UserInitiated`);
  });

  it('timeout without a task says so', () => {
    const outcome = classifyTaskOutcome(null, { Error: 'States.Timeout', Cause: 'timed out' }, 'whmcs');

    expect(outcome.error).toBe(CRON_ERROR_NAMES.timedOut);
    expect(outcome.taskArn).toBeNull();
    expect(outcome.message).toContain('found no task');
  });

  it('timeout never counts as ran', () => {
    const task = stoppedTask([['whmcs', 0]], 'UserInitiated', 'stopped at the timeout');

    expect(classifyTaskOutcome(task, { Error: 'States.Timeout' }, 'whmcs').outcome).toBe('failed');
  });

  it('task stopped by ECS names its stop code', () => {
    const cause = JSON.stringify(stoppedTask([['whmcs', 143]], 'SpotInterruption', 'Your Spot Task was interrupted.'));

    const outcome = classifyTaskOutcome(null, { Error: 'States.TaskFailed', Cause: cause }, 'whmcs');

    expect(outcome.error).toBe(CRON_ERROR_NAMES.failed);
    expect(outcome.stopCode).toBe('SpotInterruption');
    expect(outcome.message).toContain('stop code SpotInterruption: Your Spot Task was interrupted.');
  });

  it('clean exit after an ECS stop still names the stop', () => {
    const outcome = classifyTaskOutcome(stoppedTask([['whmcs', 0]], 'SpotInterruption', 'Your Spot Task was interrupted.'), undefined, 'whmcs');

    expect(outcome.outcome).toBe('ran');
    expect(outcome.message).toContain('SpotInterruption');
  });

  it('cron stopped without exit code is CronStopped', () => {
    const cause = JSON.stringify(stoppedTask([['whmcs', null]], 'TerminationNotice', 'Host is being terminated'));

    const outcome = classifyTaskOutcome(null, { Error: 'States.TaskFailed', Cause: cause }, 'whmcs');

    expect(outcome.error).toBe(CRON_ERROR_NAMES.stopped);
    expect(outcome.cronStarted).toBe(true);
    expect(outcome.message).toContain('TerminationNotice');
  });

  it('unknown error with a stopped task reads the task', () => {
    const outcome = classifyTaskOutcome(stoppedTask([['whmcs', 2]]), { Error: 'States.Runtime', Cause: 'odd' }, 'whmcs');

    expect(outcome.error).toBe(CRON_ERROR_NAMES.failed);
    expect(outcome.cronExitCode).toBe(2);
    expect(outcome.message).toContain('Step Functions reported States.Runtime');
  });

  it('failure to start the container is CronNotStarted', () => {
    const task = { ...stoppedTask([['whmcs', null]], 'TaskFailedToStart', 'CannotPullContainerError: pull access denied'), Containers: [{ Name: 'whmcs', Reason: 'CannotPullContainerError' }] };

    const outcome = classifyTaskOutcome(null, { Error: 'States.TaskFailed', Cause: JSON.stringify(task) }, 'whmcs');

    expect(outcome.error).toBe(CRON_ERROR_NAMES.notStarted);
    expect(outcome.cronStarted).toBe(false);
  });
});
