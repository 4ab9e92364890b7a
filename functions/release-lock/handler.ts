import { z } from 'zod';
import { LeaseStore } from '../shared/lease/lease-store.ts';
import { createLogger, createStepHandler, environmentDependencies, type StepDependencies } from '../shared/step-handler.ts';
import { caughtErrorSchema, leaseStateSchema, settingsSchema } from '../shared/workflow-state.ts';
import { releaseLease, type ReleaseOutput } from './release.ts';

export const releaseLockEventSchema = z.object({
  settings: settingsSchema,
  lease: leaseStateSchema.optional(),
  summary: z.unknown().optional(),
  task: z.unknown().optional(),
  taskError: caughtErrorSchema.optional(),
  acquireError: caughtErrorSchema.optional(),
});

/** Ends the lease on every path after AcquireLock, and writes the execution's summary. */
export function createReleaseLockHandler(dependencies: StepDependencies) {
  const { logger } = dependencies;
  return createStepHandler({
    logger,
    schema: releaseLockEventSchema,
    handle: async (event): Promise<ReleaseOutput> => {
      const { settings } = event;
      logger.appendKeys({ job: settings.job, owner: settings.owner, executionArn: settings.owner, fencingToken: event.lease?.fencingToken });
      const store = new LeaseStore(dependencies.resources().executor, settings.table);
      return releaseLease(event, store, logger);
    },
  });
}

export const handler = createReleaseLockHandler(environmentDependencies(createLogger()));
