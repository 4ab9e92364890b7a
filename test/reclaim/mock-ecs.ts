import { DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand, type StopTaskRequest, type Task } from '@aws-sdk/client-ecs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { createEcsTaskApi, type EcsTaskApi } from '../../functions/shared/ecs/ecs-api.ts';

export const CLUSTER = 'cronlock-test';
export const STARTED_BY = 'cronlock/cron';

export interface FakeTaskOptions {
  readonly taskArn: string;
  /** The execution in the `cronlock:execution` tag and in CRONLOCK_OWNER; null for neither. */
  readonly executionArn: string | null;
  readonly lastStatus?: string;
  readonly desiredStatus?: string;
  readonly startedBy?: string;
  readonly startedAt?: Date;
  /** DescribeTasks calls after StopTask until the task reports STOPPED; omit for a task that never stops. */
  readonly describesUntilStopped?: number;
}

interface FakeTask {
  task: Task;
  describesUntilStopped: number | undefined;
  stopRequested: boolean;
}

/**
 * An ECS cluster faked with aws-sdk-client-mock, for ListTasks, DescribeTasks and StopTask over a
 * list of tasks. It keeps the behaviour of ECS that cronlock depends on. ListTasks filters by
 * StartedBy and desired status (RUNNING by default). StopTask returns at once and deletes the
 * task's tags. A stopping task reaches STOPPED some DescribeTasks calls later.
 */
export interface FakeCluster {
  readonly mock: AwsClientStub<ECSClient>;
  readonly api: EcsTaskApi;
  readonly stopRequests: () => StopTaskRequest[];
  readonly task: (taskArn: string) => Task | undefined;
  /** Every ECS call in order, as `Operation taskArn...`. */
  readonly calls: string[];
}

export function fakeEcsCluster(tasks: readonly FakeTaskOptions[]): FakeCluster {
  const state: FakeTask[] = tasks.map((options) => ({ task: toTask(options), describesUntilStopped: options.describesUntilStopped, stopRequested: false }));
  const calls: string[] = [];
  const mock = mockClient(ECSClient);

  mock.on(ListTasksCommand).callsFake((input: { startedBy?: string; desiredStatus?: string }) => {
    const desiredStatus = input.desiredStatus ?? 'RUNNING';
    const taskArns = state
      .filter((entry) => (input.startedBy === undefined || entry.task.startedBy === input.startedBy) && entry.task.desiredStatus === desiredStatus)
      .map((entry) => entry.task.taskArn ?? '');
    calls.push(`ListTasks ${desiredStatus}`);
    return { taskArns };
  });
  mock.on(DescribeTasksCommand).callsFake((input: { tasks?: string[]; include?: string[] }) => {
    calls.push(`DescribeTasks ${(input.tasks ?? []).join(' ')}`);
    const found = state.filter((entry) => input.tasks?.includes(entry.task.taskArn ?? '') === true);
    for (const entry of found) {
      if (entry.stopRequested && entry.describesUntilStopped !== undefined) {
        entry.describesUntilStopped -= 1;
        if (entry.describesUntilStopped <= 0) {
          entry.task = { ...entry.task, lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedAt: new Date('2026-12-04T10:10:31Z') };
        }
      }
    }
    const withTags = input.include?.includes('TAGS') === true;
    return { tasks: found.map((entry) => (withTags ? entry.task : { ...entry.task, tags: undefined })), failures: [] };
  });
  mock.on(StopTaskCommand).callsFake((input: StopTaskRequest) => {
    calls.push(`StopTask ${input.task ?? ''}`);
    const entry = state.find((candidate) => candidate.task.taskArn === input.task);
    if (entry === undefined) {
      throw Object.assign(new Error('The referenced task was not found.'), { name: 'InvalidParameterException' });
    }
    entry.stopRequested = true;
    entry.task = { ...entry.task, desiredStatus: 'STOPPED', lastStatus: entry.task.lastStatus === 'STOPPED' ? 'STOPPED' : 'DEACTIVATING', stoppedReason: input.reason, tags: [] };
    return { task: entry.task };
  });

  const client = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    mock,
    api: createEcsTaskApi(client),
    stopRequests: () => mock.commandCalls(StopTaskCommand).map((call) => call.args[0].input),
    task: (taskArn) => state.find((entry) => entry.task.taskArn === taskArn)?.task,
    calls,
  };
}

function toTask(options: FakeTaskOptions): Task {
  const executionArn = options.executionArn;
  return {
    taskArn: options.taskArn,
    clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${CLUSTER}`,
    lastStatus: options.lastStatus ?? 'RUNNING',
    desiredStatus: options.desiredStatus ?? 'RUNNING',
    startedBy: options.startedBy ?? STARTED_BY,
    startedAt: options.startedAt ?? new Date('2026-12-04T10:01:00Z'),
    containers: [{ name: 'whmcs', lastStatus: options.lastStatus ?? 'RUNNING' }],
    tags: executionArn === null ? [] : [{ key: 'cronlock:execution', value: executionArn }],
    overrides: {
      containerOverrides: [{
        name: 'whmcs',
        environment: executionArn === null ? [] : [{ name: 'CRONLOCK_OWNER', value: executionArn }],
      }],
    },
  };
}

/** Returns a task ARN in the fake cluster. */
export function taskArn(id: string): string {
  return `arn:aws:ecs:us-east-1:123456789012:task/${CLUSTER}/${id}`;
}
