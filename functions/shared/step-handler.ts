import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import type * as z from './zod.ts';
import type { RuntimeConfig } from './config.ts';
import { errorMessage } from './errors.ts';
import { defaultMetrics, stepMetricsMiddleware, type MetricsRecorder } from './metrics.ts';
import type { SqlExecutor } from './store/sql-executor.ts';

/** Configuration and lock store connection of a step. */
export interface StepResources {
  readonly config: RuntimeConfig;
  readonly executor: SqlExecutor;
}

/**
 * The outside dependencies of every step. Tests and the local runner pass their own. `resources`
 * is called on each invocation and creates them on first use. So a setting error surfaces as the
 * step's error (ConfigurationError) instead of a failed cold start.
 */
export interface StepDependencies {
  readonly logger: Logger;
  readonly resources: () => StepResources;
}

export const SERVICE_NAME = 'cronlock';

/**
 * A Powertools Logger whose log calls never throw, so that a failing log write (a closed stream,
 * a value that cannot be serialized) never fails a step. Its child loggers are of the same kind.
 */
export class StepLogger extends Logger {
  protected override processLogItem(logLevel: number, input: LogItemMessage, extraInput: LogItemExtraInput): void {
    try {
      super.processLogItem(logLevel, input, extraInput);
    } catch {
      // Nothing to log the failure to: the log itself failed.
    }
  }

  override createLogger(options?: ConstructorOptions): Logger {
    return new StepLogger(options);
  }
}

export function createLogger(logLevel?: string): Logger {
  return new StepLogger({ serviceName: SERVICE_NAME, ...(logLevel ? { logLevel: logLevel as 'INFO' } : {}) });
}

/**
 * Wraps a step's core function with the middleware every step shares. The Powertools logger gets
 * the Lambda context and the fixed log keys, and the parser checks the step's input. The metrics
 * middleware publishes the per-job metrics of the step's result; `metrics` defaults to
 * defaultMetrics(). Every error is logged before it reaches Step Functions, whose Retry and Catch
 * match on the error's name.
 */
export function createStepHandler<Schema extends z.core.$ZodType, Result>(options: {
  readonly logger: Logger;
  readonly schema: Schema;
  readonly handle: (event: z.infer<Schema>, context: Context) => Promise<Result>;
  readonly metrics?: MetricsRecorder | null;
}) {
  const { logger } = options;
  const metrics = options.metrics === undefined ? defaultMetrics() : options.metrics;
  return middy<z.infer<Schema>, Result>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({ before: (request) => appendEventKeys(logger, request.event) })
    .use(parser({ schema: options.schema }))
    .use(stepMetricsMiddleware(metrics, logger))
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

/**
 * Adds the fixed log keys (job, owner, fencingToken, leaseUntil, executionArn) that the step's
 * input carries, so that every log line of the step has them. The input is not validated yet:
 * only fields of the expected type are taken. A handler's own appendKeys call overrides them.
 */
export function appendEventKeys(logger: Logger, event: unknown): void {
  const record = asRecord(event);
  const settings = asRecord(record['settings']);
  const lease = asRecord(record['lease']);
  const execution = asRecord(record['execution']);
  // An EventBridge event, such as the execution status change the reclaim function receives.
  const detail = asRecord(record['detail']);
  const owner = textOf(settings['owner']);
  const keys = {
    job: textOf(settings['job']) ?? textOf(record['job']) ?? textOf(record['lockName']),
    owner,
    executionArn: owner ?? textOf(execution['id']) ?? textOf(record['executionArn']) ?? textOf(detail['executionArn']),
    fencingToken: typeof lease['fencingToken'] === 'number' ? lease['fencingToken'] : undefined,
    leaseUntil: textOf(lease['lockUntil']),
  };
  const present = Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined));
  try {
    logger.appendKeys(present);
  } catch {
    // Missing log keys must not fail the step.
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
