import * as z from '../shared/zod.ts';
import { LeaseStore } from '../shared/lease/lease-store.ts';
import { environmentDependencies } from '../shared/environment-dependencies.ts';
import { createLogger, createStepHandler, type StepDependencies } from '../shared/step-handler.ts';
import { caughtErrorSchema, leaseStateSchema, settingsSchema } from '../shared/workflow-state.ts';
import { readTaskLogSettings, releaseLease, type ReleaseOutput, type TaskLogSettings } from './release.ts';

export const releaseLockEventSchema = z.object({
  settings: settingsSchema,
  lease: z.optional(leaseStateSchema),
  summary: z.optional(z.unknown()),
  task: z.optional(z.unknown()),
  taskError: z.optional(caughtErrorSchema),
  acquireError: z.optional(caughtErrorSchema),
});

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Ends the lease on every path after AcquireLock, and writes the execution's summary. The task
 * log settings come from `environment` once per cold start. A bad value is logged and leaves the
 * summary without a log link, because it must never keep the lease from being released.
 */
export function createReleaseLockHandler(dependencies: StepDependencies, environment: Environment = process.env) {
  const { logger } = dependencies;
  let logSettings: TaskLogSettings | null | undefined;
  const readLogSettings = (): TaskLogSettings | null => {
    if (logSettings === undefined) {
      const reading = readTaskLogSettings(environment);
      if (reading.problem !== null) {
        logger.warn('Task log link disabled', { reason: reading.problem });
      }
      logSettings = reading.settings;
    }
    return logSettings;
  };

  return createStepHandler({
    logger,
    schema: releaseLockEventSchema,
    handle: async (event): Promise<ReleaseOutput> => {
      const { settings } = event;
      logger.appendKeys({
        job: settings.job,
        owner: settings.owner,
        executionArn: settings.owner,
        fencingToken: event.lease?.fencingToken,
        leaseUntil: event.lease?.lockUntil,
      });
      const store = new LeaseStore(dependencies.resources().executor, settings.table);
      return releaseLease(event, store, logger, readLogSettings());
    },
  });
}

export const handler = createReleaseLockHandler(environmentDependencies(createLogger()));
