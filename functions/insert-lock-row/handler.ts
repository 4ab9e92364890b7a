import * as z from '../shared/zod.ts';
import { LeaseStore } from '../shared/lease/lease-store.ts';
import { environmentDependencies } from '../shared/environment-dependencies.ts';
import { createLogger, createStepHandler, type StepDependencies } from '../shared/step-handler.ts';

export const insertLockRowEventSchema = z.object({ table: z.string(), lockName: z.string() });

/**
 * Inserts the job's row if it is missing. It runs on every execution, never trusting an earlier
 * "row exists", because someone may have deleted the row or recreated the table.
 */
export function createInsertLockRowHandler(dependencies: StepDependencies) {
  const { logger } = dependencies;
  return createStepHandler({
    logger,
    schema: insertLockRowEventSchema,
    handle: async (event): Promise<{ inserted: boolean }> => {
      const inserted = await new LeaseStore(dependencies.resources().executor, event.table).insertRow(event.lockName);
      if (inserted) {
        logger.info('Lock row inserted', { job: event.lockName, table: event.table });
      }
      return { inserted };
    },
  });
}

export const handler = createInsertLockRowHandler(environmentDependencies(createLogger()));
