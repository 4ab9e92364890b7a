import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLUSTER, fakeEcsCluster, STARTED_BY, taskArn, type FakeCluster } from '../../../test/reclaim/mock-ecs.ts';
import { classifyEcsError } from './ecs-api.ts';
import { isTaskStopped, listJobTasks, tasksOfExecution, type JobTask } from './job-tasks.ts';

const E1 = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e1';

describe('listJobTasks', () => {
  let cluster: FakeCluster | undefined;

  afterEach(() => {
    cluster?.mock.restore();
  });

  it('lists running and stopping tasks with tags', async () => {
    cluster = fakeEcsCluster([
      { taskArn: taskArn('running'), executionArn: E1 },
      { taskArn: taskArn('stopping'), executionArn: null, desiredStatus: 'STOPPED', lastStatus: 'DEACTIVATING' },
      { taskArn: taskArn('pop'), executionArn: E1, startedBy: 'cronlock/pop' },
    ]);

    const tasks = await listJobTasks(cluster.api, { cluster: CLUSTER, startedBy: STARTED_BY });

    expect(tasks.map((task) => [task.taskArn, task.executionArn, task.lastStatus])).toEqual([
      [taskArn('running'), E1, 'RUNNING'],
      [taskArn('stopping'), null, 'DEACTIVATING'],
    ]);
    expect(cluster.mock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER, tasks: [taskArn('running'), taskArn('stopping')], include: ['TAGS'] },
    ]);
  });

  it('follows ListTasks pages', async () => {
    cluster = fakeEcsCluster([]);
    cluster.mock.on(ListTasksCommand, { desiredStatus: 'RUNNING' })
      .resolvesOnce({ taskArns: [taskArn('a')], nextToken: 'page-2' })
      .resolvesOnce({ taskArns: [taskArn('b')] });
    cluster.mock.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [taskArn('a')] });
    cluster.mock.on(DescribeTasksCommand).resolves({ tasks: [] });

    await listJobTasks(cluster.api, { cluster: CLUSTER, startedBy: STARTED_BY });

    expect(cluster.mock.commandCalls(ListTasksCommand).map((call) => [call.args[0].input.desiredStatus, call.args[0].input.nextToken])).toEqual([
      ['RUNNING', undefined],
      ['RUNNING', 'page-2'],
      ['STOPPED', undefined],
    ]);
    expect(cluster.mock.commandCalls(DescribeTasksCommand)[0]?.args[0].input.tasks).toEqual([taskArn('a'), taskArn('b')]);
  });

  it('rejects an endless task list', async () => {
    cluster = fakeEcsCluster([]);
    cluster.mock.on(ListTasksCommand).resolves({ taskArns: [taskArn('a')], nextToken: 'more' });

    await expect(listJobTasks(cluster.api, { cluster: CLUSTER, startedBy: STARTED_BY })).rejects.toMatchObject({ name: 'EcsRequestError' });
  });

  it('skips DescribeTasks when nothing is listed', async () => {
    cluster = fakeEcsCluster([]);

    expect(await listJobTasks(cluster.api, { cluster: CLUSTER, startedBy: STARTED_BY })).toEqual([]);
    expect(cluster.mock.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });
});

describe('isTaskStopped', () => {
  it.each([
    ['RUNNING', false],
    ['DEACTIVATING', false],
    ['STOPPING', false],
    ['DEPROVISIONING', false],
    ['PENDING', false],
    ['STOPPED', true],
  ])('%s counts as stopped: %s', (lastStatus, stopped) => {
    expect(isTaskStopped({ lastStatus } as JobTask)).toBe(stopped);
  });

  it('tasksOfExecution keeps only that execution', () => {
    const tasks = [{ taskArn: 'a', executionArn: E1 }, { taskArn: 'b', executionArn: null }] as JobTask[];

    expect(tasksOfExecution(tasks, E1).map((task) => task.taskArn)).toEqual(['a']);
  });
});

describe('classifyEcsError', () => {
  it.each([
    ['ThrottlingException', {}, 'EcsUnavailableError'],
    ['ServerException', {}, 'EcsUnavailableError'],
    ['SomethingNew', { $metadata: { httpStatusCode: 503 } }, 'EcsUnavailableError'],
    ['Error', { code: 'ECONNRESET' }, 'EcsUnavailableError'],
    ['AccessDeniedException', { $metadata: { httpStatusCode: 400 } }, 'EcsRequestError'],
    ['ClusterNotFoundException', {}, 'EcsRequestError'],
  ])('%s becomes its cronlock error', (name, fields, expected) => {
    const error = Object.assign(new Error('from ECS'), { name }, fields);

    const classified = classifyEcsError('ListTasks', error);

    expect(classified.name).toBe(expected);
    expect(classified.cause).toBe(error);
    expect(classified.message).toContain('ListTasks');
  });
});
