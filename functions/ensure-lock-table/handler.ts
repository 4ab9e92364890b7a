import * as z from '../shared/zod.ts';
import { LeaseStore } from '../shared/lease/lease-store.ts';
import { environmentDependencies } from '../shared/environment-dependencies.ts';
import { createLogger, createStepHandler, type StepDependencies } from '../shared/step-handler.ts';

export const ensureLockTableEventSchema = z.object({ table: z.string() });

/** Creates the lock table if it is missing. Safe to run on every execution and to retry. */
export function createEnsureLockTableHandler(dependencies: StepDependencies) {
  const { logger } = dependencies;
  return createStepHandler({
    logger,
    schema: ensureLockTableEventSchema,
    handle: async (event): Promise<{ table: string }> => {
      await new LeaseStore(dependencies.resources().executor, event.table).ensureTable();
      logger.debug('Lock table present', { table: event.table });
      return { table: event.table };
    },
  });
}

export const handler = createEnsureLockTableHandler(environmentDependencies(createLogger()));
