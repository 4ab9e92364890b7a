import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/**
 * Per-job CloudWatch metrics in embedded metric format (EMF), written by the step handlers'
 * middleware from each step's result. Every metric is in namespace `cronlock` with the dimensions
 * `service` (always `cronlock`, the Powertools default dimension) and `job`.
 */

export const METRICS_NAMESPACE = 'cronlock';

/** The Powertools `service` dimension. Fixed here so that POWERTOOLS_SERVICE_NAME cannot move the metrics. */
export const METRICS_SERVICE = 'cronlock';

/** The dimension Powertools adds to every metric, with METRICS_SERVICE as its value. */
export const SERVICE_DIMENSION = 'service';

export const JOB_DIMENSION = 'job';

export const METRIC_NAMES = {
  /** 1 when AcquireLock took the lease, else 0. */
  lockAcquired: 'LockAcquired',
  /** 1 when AcquireLock found the lock held and the execution skips, else 0. */
  lockSkipped: 'LockSkipped',
  /** 1 when the reclaim function freed the lease of an execution that ended failed, timed out or aborted, else 0. */
  lockReclaimed: 'LockReclaimed',
  /** 1 when the release found the lease taken by another execution, else 0. */
  lockLost: 'LockLost',
  /** 1 when the cron ran and exited 0, else 0. */
  cronSucceeded: 'CronSucceeded',
  /** 1 when the execution ends failed after AcquireLock, else 0. */
  cronFailed: 'CronFailed',
  /** Seconds from the task's start to its stop, as ECS reports them. */
  cronDurationSeconds: 'CronDurationSeconds',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

export interface StepMetric {
  readonly name: MetricName;
  readonly unit: typeof MetricUnit.Count | typeof MetricUnit.Seconds;
  readonly value: number;
}

/** The metrics one step result stands for, with the job they belong to. */
export interface StepMetrics {
  readonly job: string;
  readonly metrics: readonly StepMetric[];
}

/** The part of Powertools Metrics that the middleware uses; tests pass their own. */
export type MetricsRecorder = Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics' | 'clearMetrics' | 'clearDimensions'>;

/** Creates the Powertools Metrics instance with the cronlock namespace and service. */
export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
}

let lambdaMetrics: Metrics | undefined;

/**
 * Returns the metrics of the running process: one shared Powertools instance inside Lambda
 * (detected by AWS_LAMBDA_FUNCTION_NAME, which Lambda sets), and null elsewhere. The local runner
 * and the tests run the same handlers outside Lambda, where EMF lines on stdout would only be noise.
 */
export function defaultMetrics(environment: Readonly<Record<string, string | undefined>> = process.env): MetricsRecorder | null {
  if (!environment['AWS_LAMBDA_FUNCTION_NAME']) {
    return null;
  }
  lambdaMetrics ??= createMetrics();
  return lambdaMetrics;
}

const count = (name: MetricName, happened: boolean): StepMetric => ({ name, unit: MetricUnit.Count, value: happened ? 1 : 0 });

/**
 * Reads the metrics from a step's result, and returns null for a result that stands for none:
 * - AcquireLock's summary (outcome acquired or skipped): LockAcquired, LockSkipped
 * - a release step's summary (outcome ran or failed): CronSucceeded, CronFailed, LockLost and,
 *   when ECS reported the task's start and stop, CronDurationSeconds
 * - the reclaim function's result (`reclaimed` with a `job`): LockReclaimed
 * Each count is sent as 1 or 0, so that an alarm on its Sum gets a data point on every execution.
 */
export function readStepMetrics(result: unknown): StepMetrics | null {
  const record = asRecord(result);
  if (record === null) {
    return null;
  }
  if (typeof record['reclaimed'] === 'boolean' && typeof record['job'] === 'string' && record['job'] !== '') {
    return { job: record['job'], metrics: [count(METRIC_NAMES.lockReclaimed, record['reclaimed'])] };
  }

  const summary = asRecord(record['summary']);
  const job = summary?.['job'];
  const outcome = summary?.['outcome'];
  if (summary === null || typeof job !== 'string' || job === '') {
    return null;
  }
  if (outcome === 'acquired' || outcome === 'skipped') {
    return {
      job,
      metrics: [count(METRIC_NAMES.lockAcquired, outcome === 'acquired'), count(METRIC_NAMES.lockSkipped, outcome === 'skipped')],
    };
  }
  if (outcome === 'ran' || outcome === 'failed') {
    const durationSeconds = summary['cronDurationSeconds'];
    const duration: StepMetric[] = typeof durationSeconds === 'number' && Number.isFinite(durationSeconds)
      ? [{ name: METRIC_NAMES.cronDurationSeconds, unit: MetricUnit.Seconds, value: durationSeconds }]
      : [];
    return {
      job,
      metrics: [
        count(METRIC_NAMES.cronSucceeded, outcome === 'ran'),
        count(METRIC_NAMES.cronFailed, outcome === 'failed'),
        count(METRIC_NAMES.lockLost, summary['releaseStatus'] === 'lost'),
        ...duration,
      ],
    };
  }
  return null;
}

/**
 * Middy middleware that publishes the metrics of each step result. It catches every error of its
 * metric and log calls, so publishing metrics never fails a step.
 */
export function stepMetricsMiddleware(metrics: MetricsRecorder | null, logger: Logger): MiddlewareObj {
  return {
    after: (request) => {
      if (metrics === null) {
        return;
      }
      try {
        const stepMetrics = readStepMetrics(request.response);
        if (stepMetrics !== null) {
          publish(metrics, stepMetrics);
        }
      } catch (error) {
        discard(metrics);
        try {
          logger.warn('Metrics not published', { errorName: (error as Error)?.name, errorMessage: (error as Error)?.message });
        } catch {
          // A failing log call must not fail the step either.
        }
      }
    },
  };
}

function publish(metrics: MetricsRecorder, stepMetrics: StepMetrics): void {
  metrics.addDimension(JOB_DIMENSION, stepMetrics.job);
  for (const metric of stepMetrics.metrics) {
    metrics.addMetric(metric.name, metric.unit, metric.value);
  }
  metrics.publishStoredMetrics();
}

/** Drops what a failed publish left behind, so it does not leak into the next invocation. */
function discard(metrics: MetricsRecorder): void {
  try {
    metrics.clearMetrics();
    metrics.clearDimensions();
  } catch {
    // Nothing more to do: the next publish starts from whatever is left.
  }
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
