import { ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/step-handler.ts';
import { settingsFor } from '../../test/lease/settings-fixture.ts';
import { CLUSTER, fakeEcsCluster, taskArn, type FakeCluster } from '../../test/reclaim/mock-ecs.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';
import { createStopCronTaskHandler } from './handler.ts';
import { stopCronTask, type StopCronTaskInput, type StopCronTaskOutput } from './stop-cron-task.ts';

const E1 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e1';
const E2 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e2';
const TIMEOUT = { Error: 'States.Timeout', Cause: 'The state timed out' };

function inputFor(previous?: StopCronTaskOutput): StopCronTaskInput {
  const settings = settingsFor(E1, { task: { ...settingsFor(E1).task, cluster: CLUSTER } });
  return {
    settings,
    taskError: TIMEOUT,
    ...(previous ? { stopTask: { attempt: previous.attempt, firstAttemptAt: previous.firstAttemptAt, taskArns: [...previous.taskArns] } } : {}),
  };
}

/** Returns a clock that reads `start` plus the seconds passed to advance(). */
function clockAt(start: string): { now: () => Date; advance: (seconds: number) => void } {
  let milliseconds = Date.parse(start);
  return { now: () => new Date(milliseconds), advance: (seconds) => (milliseconds += seconds * 1000) };
}

describe('stopCronTask', () => {
  let cluster: FakeCluster | undefined;
  const logger = createLogger('SILENT');

  afterEach(() => {
    cluster?.mock.restore();
  });

  it('stops the running task and asks to wait', async () => {
    cluster = fakeEcsCluster([
      { taskArn: taskArn('mine'), executionArn: E1, describesUntilStopped: 2 },
      { taskArn: taskArn('other'), executionArn: E2, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' },
    ]);
    const clock = clockAt('2026-12-04T10:29:00Z');

    const output = await stopCronTask(inputFor(), cluster.api, logger, clock.now);

    expect(output.stopped).toBe(false);
    expect(output.attempt).toBe(1);
    expect(output.taskArns).toEqual([taskArn('mine')]);
    expect(output.waitSeconds).toBe(5);
    expect(output.waitUntil).toBe('2026-12-04T10:30:00.000Z');
    expect(cluster.stopRequests()).toEqual([{ cluster: CLUSTER, task: taskArn('mine'), reason: 'cronlock: execution e1 stops its cron after RunCron failed with States.Timeout' }]);
    expect(cluster.mock.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER, startedBy: 'cronlock/cron', desiredStatus: 'RUNNING', maxResults: 100, nextToken: undefined },
      { cluster: CLUSTER, startedBy: 'cronlock/cron', desiredStatus: 'STOPPED', maxResults: 100, nextToken: undefined },
    ]);
  });

  it('reports stopped once ECS says STOPPED', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('mine'), executionArn: E1, describesUntilStopped: 1 }]);
    const clock = clockAt('2026-12-04T10:29:00Z');
    const first = await stopCronTask(inputFor(), cluster.api, logger, clock.now);

    clock.advance(5);
    const second = await stopCronTask(inputFor(first), cluster.api, logger, clock.now);

    expect(second.stopped).toBe(true);
    expect(second.attempt).toBe(2);
    expect(second.firstAttemptAt).toBe(first.firstAttemptAt);
    expect(second.task).toMatchObject({ TaskArn: taskArn('mine'), LastStatus: 'STOPPED', StopCode: 'UserInitiated' });
    expect(cluster.stopRequests()).toHaveLength(1);
  });

  it('finds the task by its owner variable once StopTask deleted the tags', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('mine'), executionArn: E1, describesUntilStopped: 3 }]);
    await cluster.api.stopTask({ cluster: CLUSTER, task: taskArn('mine'), reason: 'stopped by someone else' });

    const output = await stopCronTask(inputFor(), cluster.api, logger, clockAt('2026-12-04T10:29:00Z').now);

    expect(output.taskArns).toEqual([taskArn('mine')]);
    expect(output.stopped).toBe(false);
    // The task's desired status is STOPPED already, so no second StopTask is sent.
    expect(cluster.stopRequests()).toHaveLength(1);
  });

  it('reports stopped when no task of the execution exists', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('other'), executionArn: E2 }]);

    const output = await stopCronTask(inputFor(), cluster.api, logger, clockAt('2026-12-04T10:29:00Z').now);

    expect(output.stopped).toBe(true);
    expect(output.task).toBeNull();
    expect(output.message).toContain('No task of execution');
    expect(cluster.stopRequests()).toEqual([]);
  });

  it('fails once stop grace and margin passed', async () => {
    cluster = fakeEcsCluster([{ taskArn: taskArn('stuck'), executionArn: E1 }]);
    const clock = clockAt('2026-12-04T10:29:00Z');
    const first = await stopCronTask(inputFor(), cluster.api, logger, clock.now);

    clock.advance(59);
    const beforeEnd = await stopCronTask(inputFor(first), cluster.api, logger, clock.now);
    clock.advance(1);

    expect(beforeEnd.waitSeconds).toBe(1);
    await expect(stopCronTask(inputFor(beforeEnd), cluster.api, logger, clock.now)).rejects.toMatchObject({
      name: 'CronTaskNotStopped',
      message: expect.stringContaining(`aws ecs stop-task --cluster ${CLUSTER} --task ${taskArn('stuck')}`) as unknown,
    });
  });

  it('handler maps ECS throttling to EcsUnavailableError', async () => {
    cluster = fakeEcsCluster([]);
    cluster.mock.on(ListTasksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const handler = createStopCronTaskHandler({ logger, ecs: () => (cluster as FakeCluster).api });

    await expect(handler(inputFor() as never, createLambdaContext('stop-cron-task'))).rejects.toMatchObject({ name: 'EcsUnavailableError' });
  });

  it('handler maps access denied to EcsRequestError', async () => {
    cluster = fakeEcsCluster([]);
    cluster.mock.on(ListTasksCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const handler = createStopCronTaskHandler({ logger, ecs: () => (cluster as FakeCluster).api });

    await expect(handler(inputFor() as never, createLambdaContext('stop-cron-task'))).rejects.toMatchObject({
      name: 'EcsRequestError',
      message: expect.stringContaining('ecs:ListTasks') as unknown,
    });
  });
});
