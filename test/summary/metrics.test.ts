import type { LogItem } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  createMetrics,
  defaultMetrics,
  JOB_DIMENSION,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  readStepMetrics,
  SERVICE_DIMENSION,
  type MetricsRecorder,
} from '../../functions/shared/metrics.ts';
import { createStepHandler, StepLogger } from '../../functions/shared/step-handler.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';

/** A logger that keeps its log lines instead of printing them. */
class CapturingLogger extends StepLogger {
  readonly lines: Record<string, unknown>[] = [];

  protected override printLog(_logLevel: number, log: LogItem): void {
    this.lines.push(log.getAttributes());
  }
}

/** A logger whose every log call fails while it prints. */
class BrokenLogger extends StepLogger {
  protected override printLog(): void {
    throw new Error('stdout closed');
  }
}

type EmfDocument = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
};

/** Creates a real Powertools Metrics whose published EMF documents are kept instead of printed. */
function capturingMetrics(): { metrics: Metrics; documents: EmfDocument[] } {
  const metrics = createMetrics();
  const documents: EmfDocument[] = [];
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    documents.push(metrics.serializeMetrics());
    metrics.clearMetrics();
    metrics.clearDimensions();
    return metrics;
  });
  return { metrics, documents };
}

function stepReturning(result: unknown, metrics: MetricsRecorder | null, logger: StepLogger = new CapturingLogger({ serviceName: 'cronlock' })) {
  return createStepHandler({
    logger,
    schema: z.unknown(),
    metrics,
    handle: () => Promise.resolve(result),
  });
}

const context = createLambdaContext('cronlock-test');

describe('readStepMetrics', () => {
  const values = (result: unknown) => Object.fromEntries((readStepMetrics(result)?.metrics ?? []).map((metric) => [metric.name, metric.value]));

  it('acquire outcomes', () => {
    expect(values({ summary: { job: 'cron', outcome: 'acquired' } })).toEqual({ LockAcquired: 1, LockSkipped: 0 });
    expect(values({ summary: { job: 'cron', outcome: 'skipped' } })).toEqual({ LockAcquired: 0, LockSkipped: 1 });
  });

  it('release outcomes', () => {
    expect(values({ summary: { job: 'cron', outcome: 'ran', releaseStatus: 'released', cronDurationSeconds: 42.5 } }))
      .toEqual({ CronSucceeded: 1, CronFailed: 0, LockLost: 0, CronDurationSeconds: 42.5 });
    expect(values({ summary: { job: 'cron', outcome: 'failed', releaseStatus: 'lost', cronDurationSeconds: null } }))
      .toEqual({ CronSucceeded: 0, CronFailed: 1, LockLost: 1 });
  });

  it('reclaim results', () => {
    expect(values({ reclaimed: true, job: 'pop' })).toEqual({ LockReclaimed: 1 });
    expect(values({ reclaimed: false, job: 'pop' })).toEqual({ LockReclaimed: 0 });
    expect(readStepMetrics({ reclaimed: false, job: null })).toBeNull();
  });

  it('job from the summary', () => {
    expect(readStepMetrics({ summary: { job: 'pop', outcome: 'ran' } })?.job).toBe('pop');
  });

  it('none for other results', () => {
    expect(readStepMetrics({ settings: { job: 'cron' } })).toBeNull();
    expect(readStepMetrics({ table: 'tblcronlock' })).toBeNull();
    expect(readStepMetrics(null)).toBeNull();
    expect(readStepMetrics({ summary: { outcome: 'ran' } })).toBeNull();
  });
});

describe('step metrics middleware', () => {
  it('publishes EMF per job', async () => {
    const { metrics, documents } = capturingMetrics();
    const handler = stepReturning({ summary: { job: 'cron', outcome: 'ran', releaseStatus: 'released', cronDurationSeconds: 12.5 } }, metrics);

    await handler({}, context);

    expect(documents).toHaveLength(1);
    const document = documents[0] as EmfDocument;
    const directive = document._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('cronlock');
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Dimensions).toEqual([['service', 'job']]);
    expect(directive?.Dimensions).toEqual([[SERVICE_DIMENSION, JOB_DIMENSION]]);
    expect(document[SERVICE_DIMENSION]).toBe(METRICS_SERVICE);
    expect(document['service']).toBe('cronlock');
    expect(document['job']).toBe('cron');
    expect(document['CronSucceeded']).toBe(1);
    expect(document['CronFailed']).toBe(0);
    expect(document['LockLost']).toBe(0);
    expect(document['CronDurationSeconds']).toBe(12.5);
    expect(directive?.Metrics).toContainEqual({ Name: 'CronDurationSeconds', Unit: 'Seconds' });
    expect(directive?.Metrics).toContainEqual({ Name: 'CronSucceeded', Unit: 'Count' });
  });

  it('publishes nothing for other steps', async () => {
    const { metrics, documents } = capturingMetrics();
    const handler = stepReturning({ inserted: true }, metrics);

    await handler({}, context);

    expect(documents).toHaveLength(0);
  });

  it('keeps dimensions apart between invocations', async () => {
    const { metrics, documents } = capturingMetrics();

    await stepReturning({ summary: { job: 'cron', outcome: 'acquired' } }, metrics)({}, context);
    await stepReturning({ summary: { job: 'pop', outcome: 'skipped' } }, metrics)({}, context);

    expect(documents.map((document) => document['job'])).toEqual(['cron', 'pop']);
    expect(documents[1]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'job']]);
  });

  it('failing metrics never fail the step', async () => {
    const result = { summary: { job: 'cron', outcome: 'ran' } };
    const failing: MetricsRecorder = {
      addDimension: () => { throw new Error('dimension store broken'); },
      addMetric: () => { throw new Error('metric store broken'); },
      publishStoredMetrics: () => { throw new Error('publish broken'); },
      clearMetrics: () => { throw new Error('clear broken'); },
      clearDimensions: () => { throw new Error('clear broken'); },
    };
    const logger = new CapturingLogger({ serviceName: 'cronlock' });

    await expect(stepReturning(result, failing, logger)({}, context)).resolves.toEqual(result);

    const warning = logger.lines.find((line) => line['message'] === 'Metrics not published');
    expect(warning?.['errorMessage']).toBe('dimension store broken');
  });

  it('failing logs never fail the step', async () => {
    const result = { summary: { job: 'cron', outcome: 'ran' } };
    const failing = { addDimension: () => { throw new Error('broken'); } } as unknown as MetricsRecorder;

    await expect(stepReturning(result, failing, new BrokenLogger({ serviceName: 'cronlock' }))({}, context)).resolves.toEqual(result);
  });

  it('a failing step keeps its error', async () => {
    const { metrics, documents } = capturingMetrics();
    const handler = createStepHandler({
      logger: new BrokenLogger({ serviceName: 'cronlock' }),
      schema: z.unknown(),
      metrics,
      handle: () => {
        const error = new Error('lock store down');
        error.name = 'DatabaseResumingException';
        return Promise.reject(error);
      },
    });

    await expect(handler({}, context)).rejects.toMatchObject({ name: 'DatabaseResumingException' });
    expect(documents).toHaveLength(0);
  });
});

describe('StepLogger', () => {
  it('swallows a failing log write', () => {
    const logger = new BrokenLogger({ serviceName: 'cronlock' });

    expect(() => logger.info('hello', { job: 'cron' })).not.toThrow();
    expect(() => logger.error('hello')).not.toThrow();
  });

  it('children swallow too', () => {
    const child = new BrokenLogger({ serviceName: 'cronlock' }).createChild();

    expect(child).toBeInstanceOf(StepLogger);
  });
});

describe('log keys from the step input', () => {
  it('adds job, owner, token and lease end', async () => {
    const logger = new CapturingLogger({ serviceName: 'cronlock' });
    const handler = createStepHandler({
      logger,
      schema: z.unknown(),
      metrics: null,
      handle: () => {
        logger.info('inside');
        return Promise.resolve({});
      },
    });
    const owner = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e1';

    await handler({ settings: { job: 'cron', owner }, lease: { fencingToken: 7, lockUntil: '2026-12-04T10:30:00.000000Z' } }, context);

    const line = logger.lines.find((entry) => entry['message'] === 'inside');
    expect(line?.['job']).toBe('cron');
    expect(line?.['owner']).toBe(owner);
    expect(line?.['executionArn']).toBe(owner);
    expect(line?.['fencingToken']).toBe(7);
    expect(line?.['leaseUntil']).toBe('2026-12-04T10:30:00.000000Z');
  });

  it('reads job and execution of other steps', async () => {
    const logger = new CapturingLogger({ serviceName: 'cronlock' });
    const handler = createStepHandler({
      logger,
      schema: z.unknown(),
      metrics: null,
      handle: () => {
        logger.info('inside');
        return Promise.resolve({});
      },
    });
    const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:cronlock:e2';

    await handler({ table: 'tblcronlock', lockName: 'pop', executionArn }, context);
    await handler({ input: {}, execution: { id: executionArn, name: 'e2' } }, context);
    await handler({ 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn, status: 'ABORTED' } }, context);

    const lines = logger.lines.filter((entry) => entry['message'] === 'inside');
    expect(lines[0]?.['job']).toBe('pop');
    expect(lines.map((line) => line['executionArn'])).toEqual([executionArn, executionArn, executionArn]);
  });

  it('resets them after each invocation', async () => {
    const logger = new CapturingLogger({ serviceName: 'cronlock' });
    const handler = createStepHandler({
      logger,
      schema: z.unknown(),
      metrics: null,
      handle: () => {
        logger.info('inside');
        return Promise.resolve({});
      },
    });

    await handler({ settings: { job: 'cron', owner: 'E1' } }, context);
    await handler({ table: 'tblcronlock', lockName: 'pop' }, context);

    const lines = logger.lines.filter((entry) => entry['message'] === 'inside');
    expect(lines[1]?.['job']).toBe('pop');
    expect(lines[1]?.['owner']).toBeUndefined();
  });
});

describe('defaultMetrics', () => {
  it('none outside Lambda', () => {
    expect(defaultMetrics({})).toBeNull();
    expect(defaultMetrics({ AWS_LAMBDA_FUNCTION_NAME: 'cronlock-dev-releaseLock' })).toBeInstanceOf(Metrics);
  });
});
