import * as z from '../shared/zod.ts';
import { lazyEcsTaskApi, type EcsTaskApi } from '../shared/ecs/ecs-api.ts';
import { LeaseStore } from '../shared/lease/lease-store.ts';
import { environmentDependencies } from '../shared/environment-dependencies.ts';
import { createLogger, createStepHandler, type StepDependencies } from '../shared/step-handler.ts';
import { settingsSchema } from '../shared/workflow-state.ts';
import { acquireLease, type AcquireOutput } from './acquire.ts';

export const acquireLockEventSchema = z.object({ settings: settingsSchema });

/**
 * Takes the lease with one conditional UPDATE and decides from the row read back. `ecs` returns
 * the ECS API for the check for running tasks. The default creates the SDK client on first use,
 * and tests and the local runner pass their own.
 */
export function createAcquireLockHandler(dependencies: StepDependencies, ecs: () => EcsTaskApi = lazyEcsTaskApi()) {
  const { logger } = dependencies;
  return createStepHandler({
    logger,
    schema: acquireLockEventSchema,
    handle: async (event): Promise<AcquireOutput> => {
      const { settings } = event;
      logger.appendKeys({ job: settings.job, owner: settings.owner, executionArn: settings.owner });
      const store = new LeaseStore(dependencies.resources().executor, settings.table);
      return acquireLease(settings, store, logger, ecs());
    },
  });
}

export const handler = createAcquireLockHandler(environmentDependencies(createLogger()));
