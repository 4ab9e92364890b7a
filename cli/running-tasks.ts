import type { ECSClient } from '@aws-sdk/client-ecs';
import { createEcsTaskApi } from '../functions/shared/ecs/ecs-api.ts';
import { isTaskStopped, listJobTasks } from '../functions/shared/ecs/job-tasks.ts';
import { describeAwsError } from './aws.ts';

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

/**
 * Lists the job's tasks whose last status is not STOPPED, with the same reading of ECS as the
 * workflow's running-task check: a task being stopped (still in its SIGTERM grace) counts as
 * running, because its cron may still be writing.
 */
export async function listRunningTasks(ecs: ECSClient, cluster: string, job: string): Promise<RunningTask[]> {
  try {
    const tasks = await listJobTasks(createEcsTaskApi(ecs), { cluster, startedBy: startedByFor(job) });
    return tasks
      .filter((task) => !isTaskStopped(task))
      .map((task) => ({ taskArn: task.taskArn, lastStatus: task.lastStatus, desiredStatus: task.desiredStatus, startedAt: task.startedAt }));
  } catch (error) {
    // The ECS API wraps the SDK's error; the CLI's advice (region, credentials) reads the original.
    const original = error instanceof Error && error.cause !== undefined ? error.cause : error;
    throw describeAwsError(original, `ListTasks in cluster ${cluster}`);
  }
}
