import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LocalEcs, type RunTaskRequest, type TaskOutputLine } from '../../local/ecs-stand-in.ts';
import { waitFor } from './fault-world.ts';

const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:cronlock-local:e1';

function request(environment: Record<string, string> = {}): RunTaskRequest {
  return {
    Cluster: 'cronlock-local',
    TaskDefinition: 'whmcs-cron-local',
    StartedBy: 'cronlock/cron',
    Tags: [{ Key: 'cronlock:execution', Value: EXECUTION }, { Key: 'cronlock:job', Value: 'cron' }],
    Overrides: {
      ContainerOverrides: [{
        Name: 'whmcs',
        Command: ['php', '-q', 'crons/cron.php'],
        Environment: [{ Name: 'CRONLOCK_OWNER', Value: EXECUTION }, ...Object.entries(environment).map(([Name, Value]) => ({ Name, Value }))],
      }],
    },
  };
}

function createEcs(taskCommand: string, options: Partial<ConstructorParameters<typeof LocalEcs>[0]> = {}): { ecs: LocalEcs; lines: TaskOutputLine[] } {
  const lines: TaskOutputLine[] = [];
  const ecs = new LocalEcs({ stopGraceSeconds: 1, taskCommand, onOutput: (line) => lines.push(line), ...options });
  return { ecs, lines };
}

/** Returns a shell cron that prints `started`, then loops until it is killed or its SIGTERM trap exits. */
function looping(trap: string): string {
  return `trap '${trap}' TERM; echo started; while :; do sleep 0.05; done`;
}

describe('LocalEcs', () => {
  it('sends SIGKILL after the grace', async () => {
    const { ecs, lines } = createEcs(looping('echo term received'));
    const run = ecs.runTaskSync(request()).catch((error: unknown) => error);
    await waitFor('the task to start', () => (lines.some((line) => line.line === 'started') ? true : undefined));
    const [task] = ecs.tasks;

    await ecs.stopTask({ cluster: 'cronlock-local', task: task?.taskArn, reason: 'test stop' });

    expect(await run).toMatchObject({ name: 'States.TaskFailed' });
    expect(lines.map((line) => line.line)).toContain('term received');
    expect(task?.containers).toEqual([{ name: 'whmcs', exitCode: 137, reason: null }]);
    expect(task?.stopCode).toBe('UserInitiated');
    expect(task?.stoppedReason).toBe('test stop');
  });

  it('lets a cron finish within the grace', async () => {
    const { ecs, lines } = createEcs(looping('echo stopping; exit 0'), { stopGraceSeconds: 10 });
    const run = ecs.runTaskSync(request());
    await waitFor('the task to start', () => (lines.some((line) => line.line === 'started') ? true : undefined));

    await ecs.stopTasksOf(EXECUTION, 'Execution aborted');

    const description = await run;
    expect(description).toMatchObject({ StopCode: 'UserInitiated', StoppedReason: 'Execution aborted', Containers: [{ Name: 'whmcs', ExitCode: 0 }] });
    expect(ecs.runningTasks()).toEqual([]);
  });

  it('fails RunTask as planned, then starts', async () => {
    const { ecs } = createEcs('true', {
      runTaskFailures: [{ errorName: 'AmazonECS.Unknown', count: 2 }, { errorName: 'ECS.AmazonECSException', count: 1 }],
    });

    await expect(ecs.runTaskSync(request())).rejects.toMatchObject({ name: 'AmazonECS.Unknown' });
    await expect(ecs.runTaskSync(request())).rejects.toMatchObject({ name: 'AmazonECS.Unknown' });
    await expect(ecs.runTaskSync(request())).rejects.toMatchObject({ name: 'ECS.AmazonECSException' });
    expect(ecs.tasks).toHaveLength(0);
    await expect(ecs.runTaskSync(request())).resolves.toMatchObject({ LastStatus: 'STOPPED' });
    expect(ecs.tasks).toHaveLength(1);
  });

  it('rejects a RunTask failure count below 1', () => {
    expect(() => new LocalEcs({ stopGraceSeconds: 1, runTaskFailures: [{ errorName: 'AmazonECS.Unknown', count: 0 }] })).toThrow(RangeError);
  });

  it('times out and leaves the task running', async () => {
    const { ecs, lines } = createEcs(looping('exit 143'));

    await expect(ecs.runTaskSync(request({ CRONLOCK_TIMEOUT_SECONDS: '1' }), 'CRONLOCK_TIMEOUT_SECONDS')).rejects.toMatchObject({ name: 'States.Timeout' });

    expect(lines.map((line) => line.line)).toContain('started');
    const [task] = ecs.runningTasks();
    expect(task?.lastStatus).toBe('RUNNING');
    await ecs.stopTask({ cluster: 'cronlock-local', task: task?.taskArn, reason: 'StopCronTask' });
    await waitFor('the task to stop', () => (ecs.runningTasks().length === 0 ? true : undefined));
    expect(task?.stopCode).toBe('UserInitiated');
    expect(task?.containers[0]?.exitCode).toBe(143);
  });

  it('answers ListTasks, DescribeTasks and StopTask as ECS does', async () => {
    const { ecs, lines } = createEcs(looping('exit 143'));
    const run = ecs.runTaskSync(request()).catch((error: unknown) => error);
    await waitFor('the task to start', () => (lines.some((line) => line.line === 'started') ? true : undefined));
    const taskArn = ecs.tasks[0]?.taskArn ?? '';

    expect(await ecs.listTasks({ cluster: 'cronlock-local', startedBy: 'cronlock/cron' })).toEqual({ taskArns: [taskArn] });
    expect(await ecs.listTasks({ cluster: 'cronlock-local', startedBy: 'cronlock/pop' })).toEqual({ taskArns: [] });
    const described = await ecs.describeTasks({ cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/cronlock-local', tasks: [taskArn, 'missing'], include: ['TAGS'] });
    expect(described.tasks?.[0]).toMatchObject({ taskArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', tags: [{ key: 'cronlock:execution', value: EXECUTION }, { key: 'cronlock:job', value: 'cron' }] });
    expect(described.tasks?.[0]?.overrides?.containerOverrides?.[0]?.environment).toContainEqual({ name: 'CRONLOCK_OWNER', value: EXECUTION });
    expect(described.failures).toEqual([{ arn: 'missing', reason: 'MISSING' }]);

    const stopped = await ecs.stopTask({ cluster: 'cronlock-local', task: taskArn, reason: 'cronlock' });
    expect(stopped.task).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'STOPPING' });
    expect(await ecs.listTasks({ cluster: 'cronlock-local', startedBy: 'cronlock/cron' })).toEqual({ taskArns: [] });
    expect(await ecs.listTasks({ cluster: 'cronlock-local', startedBy: 'cronlock/cron', desiredStatus: 'STOPPED' })).toEqual({ taskArns: [taskArn] });
    expect((await ecs.describeTasks({ tasks: [taskArn], include: ['TAGS'] })).tasks?.[0]?.tags).toEqual([]);

    await run;
    expect((await ecs.describeTasks({ tasks: [taskArn] })).tasks?.[0]).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'cronlock' });
    await expect(ecs.stopTask({ task: 'arn:aws:ecs:us-east-1:000000000000:task/cronlock-local/unknown' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('C9: sidecar exit fails the task, cron exit kept', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'cronlock-sidecar-'));
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    const ready = join(directory, 'ready');
    // The cron waits until the sidecar has set its SIGTERM trap, so the sidecar's exit code is its own.
    const { ecs } = createEcs('while [ ! -e "$SIDECAR_READY" ]; do sleep 0.02; done; echo done', {
      sidecars: [{ name: 'log-router', command: `trap 'exit 137' TERM; touch "$SIDECAR_READY"; while :; do sleep 0.05; done` }],
      environment: { SIDECAR_READY: ready },
    });

    const error = await ecs.runTaskSync(request()).catch((caught: unknown) => caught as Error);

    expect(error).toMatchObject({ name: 'States.TaskFailed' });
    const description = JSON.parse((error as Error).message) as { Containers: unknown[]; StopCode: string };
    expect(description.StopCode).toBe('EssentialContainerExited');
    expect(description.Containers).toEqual([
      { Name: 'whmcs', LastStatus: 'STOPPED', ExitCode: 0 },
      { Name: 'log-router', LastStatus: 'STOPPED', ExitCode: 137 },
    ]);
  });
});
