import { DescribeTasksCommand, ListTasksCommand, type DesiredStatus, type ECSClient } from '@aws-sdk/client-ecs';
import { describeAwsError } from './aws.ts';

/**
 * Finds the job's ECS tasks that have not stopped yet. The workflow starts every task with
 * `startedBy: cronlock/<job>` (see resolveSettings), so ListTasks finds them by that.
 */

/** Returns the startedBy value of a job's tasks, the value that resolveSettings sets on RunCron. */
export function startedByFor(job: string): string {
  return `cronlock/${job}`;
}

export interface RunningTask {
  readonly taskArn: string;
  readonly lastStatus: string | null;
  readonly desiredStatus: string | null;
  readonly startedAt: string | null;
}

/** DescribeTasks takes at most 100 tasks per call. */
const DESCRIBE_BATCH_SIZE = 100;

/**
 * Lists the job's tasks whose last status is not STOPPED. Tasks that are being stopped (desired
 * status STOPPED, still in their SIGTERM grace) count as running, because their cron may still be
 * writing. ListTasks returns those only when asked for desired status STOPPED, so both lists are
 * read and each task is described.
 */
export async function listRunningTasks(ecs: ECSClient, cluster: string, job: string): Promise<RunningTask[]> {
  const action = `ListTasks in cluster ${cluster}`;
  try {
    const taskArns = [
      ...(await listTaskArns(ecs, cluster, job, 'RUNNING')),
      ...(await listTaskArns(ecs, cluster, job, 'STOPPED')),
    ];
    const unique = [...new Set(taskArns)];
    const running: RunningTask[] = [];
    for (let start = 0; start < unique.length; start += DESCRIBE_BATCH_SIZE) {
      const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: unique.slice(start, start + DESCRIBE_BATCH_SIZE) }));
      for (const task of tasks) {
        if (task.lastStatus !== 'STOPPED' && task.taskArn !== undefined) {
          running.push({
            taskArn: task.taskArn,
            lastStatus: task.lastStatus ?? null,
            desiredStatus: task.desiredStatus ?? null,
            startedAt: task.startedAt?.toISOString() ?? null,
          });
        }
      }
    }
    return running;
  } catch (error) {
    throw describeAwsError(error, action);
  }
}

async function listTaskArns(ecs: ECSClient, cluster: string, job: string, desiredStatus: DesiredStatus): Promise<string[]> {
  const taskArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster, startedBy: startedByFor(job), desiredStatus, nextToken }));
    taskArns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return taskArns;
}
