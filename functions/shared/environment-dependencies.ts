import type { Logger } from '@aws-lambda-powertools/logger';
import { readRuntimeConfig } from './config.ts';
import type { StepDependencies, StepResources } from './step-handler.ts';
import { openExecutorFromEnvironment } from './store/open-executor.ts';

// Kept apart from step-handler.ts so that the steps without a lock store (ResolveSettings,
// StopCronTask) neither bundle the executors nor load the Data API client when they start.

/**
 * Returns a provider that reads the environment once per cold start into frozen configuration
 * and one connection pool, as a Lambda function does.
 */
export function environmentDependencies(logger: Logger): StepDependencies {
  let resources: StepResources | undefined;
  return {
    logger,
    resources: () => (resources ??= { config: readRuntimeConfig(), executor: openExecutorFromEnvironment() }),
  };
}
