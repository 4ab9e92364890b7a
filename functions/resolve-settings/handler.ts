import * as z from '../shared/zod.ts';
import { resolveSettings, type Settings } from '../shared/settings.ts';
import { readRuntimeConfig, type RuntimeConfig } from '../shared/config.ts';
import { createLogger, createStepHandler } from '../shared/step-handler.ts';
import type { Logger } from '@aws-lambda-powertools/logger';

/** ResolveSettings receives the raw execution input beside the execution's ARN and name. */
export const resolveSettingsEventSchema = z.object({
  input: z.unknown(),
  execution: z.object({ id: z.string(), name: z.string() }),
});

export interface ResolveSettingsDependencies {
  readonly config: () => RuntimeConfig;
  readonly logger: Logger;
}

/** Validates the input and merges it with the job's settings; writes nothing. */
export function createResolveSettingsHandler(dependencies: ResolveSettingsDependencies) {
  const { logger } = dependencies;
  return createStepHandler({
    logger,
    schema: resolveSettingsEventSchema,
    handle: (event): Promise<{ settings: Settings }> => {
      logger.appendKeys({ executionArn: event.execution.id });
      const settings = resolveSettings(event.input, event.execution, dependencies.config());
      logger.info('Settings resolved', { job: settings.job, holdSeconds: settings.holdSeconds, minHoldSeconds: settings.minHoldSeconds });
      return Promise.resolve({ settings });
    },
  });
}

const lambdaLogger = createLogger();
let lambdaConfig: RuntimeConfig | undefined;

export const handler = createResolveSettingsHandler({
  config: () => (lambdaConfig ??= readRuntimeConfig()),
  logger: lambdaLogger,
});
