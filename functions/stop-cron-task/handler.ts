import type { Logger } from '@aws-lambda-powertools/logger';
import { lazyEcsTaskApi, type EcsTaskApi } from '../shared/ecs/ecs-api.ts';
import { createLogger, createStepHandler } from '../shared/step-handler.ts';
import { stopCronTask, stopCronTaskEventSchema, type StopCronTaskOutput } from './stop-cron-task.ts';

export interface StopCronTaskDependencies {
  readonly logger: Logger;
  /** The ECS API; called on each invocation. */
  readonly ecs: () => EcsTaskApi;
  /** The clock that bounds the wait for the task to stop. Default: the system clock. */
  readonly now?: () => Date;
}

/**
 * Stops this execution's cron task after RunCron failed, and reports whether it has stopped, so
 * the lease is never released while the task still runs. It touches no database.
 */
export function createStopCronTaskHandler(dependencies: StopCronTaskDependencies) {
  const { logger } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  return createStepHandler({
    logger,
    schema: stopCronTaskEventSchema,
    handle: async (event): Promise<StopCronTaskOutput> => {
      const { settings } = event;
      logger.appendKeys({ job: settings.job, owner: settings.owner, executionArn: settings.owner, fencingToken: event.lease?.fencingToken });
      return stopCronTask(event, dependencies.ecs(), logger, now);
    },
  });
}

export const handler = createStopCronTaskHandler({ logger: createLogger(), ecs: lazyEcsTaskApi() });
