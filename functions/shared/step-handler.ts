import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { readRuntimeConfig, type RuntimeConfig } from './config.ts';
import { errorMessage } from './errors.ts';
import { openExecutorFromEnvironment } from './store/open-executor.ts';
import type { SqlExecutor } from './store/sql-executor.ts';

/** Configuration and lock store connection of a step. */
export interface StepResources {
  readonly config: RuntimeConfig;
  readonly executor: SqlExecutor;
}

/**
 * What every step needs from outside; tests and the local runner pass their own. `resources` is
 * called on each invocation and creates them on first use, so that a setting error surfaces as the
 * step's error (ConfigurationError) instead of a failed cold start.
 */
export interface StepDependencies {
  readonly logger: Logger;
  readonly resources: () => StepResources;
}

export const SERVICE_NAME = 'cronlock';

export function createLogger(logLevel?: string): Logger {
  return new Logger({ serviceName: SERVICE_NAME, ...(logLevel ? { logLevel: logLevel as 'INFO' } : {}) });
}

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

/**
 * Wraps a step's core function with the middleware every step shares: the Powertools logger with
 * the Lambda context, the parser for the step's input, and a log line for every error before it
 * reaches Step Functions (whose Retry and Catch match on the error's name).
 */
export function createStepHandler<Schema extends z.ZodType, Result>(options: {
  readonly logger: Logger;
  readonly schema: Schema;
  readonly handle: (event: z.infer<Schema>, context: Context) => Promise<Result>;
}) {
  const { logger } = options;
  return middy<z.infer<Schema>, Result>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(parser({ schema: options.schema }))
    .use({
      onError: (request) => {
        const error: unknown = request.error;
        try {
          logger.error('Step failed', { errorName: error instanceof Error ? error.name : typeof error, errorMessage: errorMessage(error) });
        } catch {
          // A failing log call must not replace the step's own error.
        }
      },
    })
    .handler((event: z.infer<Schema>, context: Context) => options.handle(event, context));
}
