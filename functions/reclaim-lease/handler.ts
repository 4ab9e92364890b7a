import { setTimeout as sleep } from 'node:timers/promises';
import { lazyEcsTaskApi, type EcsTaskApi } from '../shared/ecs/ecs-api.ts';
import { LeaseStore } from '../shared/lease/lease-store.ts';
import { environmentDependencies } from '../shared/environment-dependencies.ts';
import { createLogger, createStepHandler, type StepDependencies } from '../shared/step-handler.ts';
import { executionStatusChangeSchema, reclaimLease, type ReclaimResult } from './reclaim.ts';

/** Default time between two checks of a stopping task. */
export const DEFAULT_CHECK_INTERVAL_MILLISECONDS = 5000;

export interface ReclaimLeaseDependencies extends StepDependencies {
  /** The ECS API; called on each invocation. */
  readonly ecs: () => EcsTaskApi;
  /** Default: the system clock. */
  readonly now?: () => Date;
  /** Default: a timer. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Default: DEFAULT_CHECK_INTERVAL_MILLISECONDS. */
  readonly checkIntervalMilliseconds?: number;
}

/**
 * Handles the EventBridge event of an execution that ended FAILED, TIMED_OUT or ABORTED: stops
 * its cron task if it still runs, and releases its lease once the task has stopped. The function's
 * timeout must exceed the stop grace plus the run margin, the longest it waits for the task.
 * When the task does not stop in time it throws CronTaskNotStopped, so Lambda retries the event.
 */
export function createReclaimLeaseHandler(dependencies: ReclaimLeaseDependencies) {
  const { logger } = dependencies;
  return createStepHandler({
    logger,
    schema: executionStatusChangeSchema,
    handle: async (event): Promise<ReclaimResult> => {
      logger.appendKeys({ executionArn: event.detail.executionArn, executionStatus: event.detail.status });
      const { config, executor } = dependencies.resources();
      return reclaimLease(event, {
        config,
        ecs: dependencies.ecs(),
        openStore: (table) => new LeaseStore(executor, table),
        logger,
        now: dependencies.now ?? (() => new Date()),
        sleep: dependencies.sleep ?? ((milliseconds) => sleep(milliseconds)),
        checkIntervalMilliseconds: dependencies.checkIntervalMilliseconds ?? DEFAULT_CHECK_INTERVAL_MILLISECONDS,
      });
    },
  });
}

export const handler = createReclaimLeaseHandler({ ...environmentDependencies(createLogger()), ecs: lazyEcsTaskApi() });
