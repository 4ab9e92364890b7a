import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { loadDefinition, readRawDefinition, ECS_RUN_TASK_SYNC, type StateDefinition } from '../../local/definition.ts';

/** Every key and string in the definition, for searches that must see nested fields. */
function walk(value: unknown, visit: (key: string | null, value: unknown) => void, key: string | null = null): void {
  visit(key, value);
  if (Array.isArray(value)) {
    value.forEach((item) => walk(item, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [childKey, child] of Object.entries(value)) {
      walk(child, visit, childKey);
    }
  }
}

describe('workflow definition', () => {
  const raw = readRawDefinition();
  const states = Object.entries(raw.States);

  it('uses JSONPath only', () => {
    const offending: string[] = [];
    walk(raw, (key, value) => {
      if (key === 'QueryLanguage' || key === 'Assign' || key === 'Arguments' || key === 'Output') {
        offending.push(`field ${key}`);
      }
      if (typeof value === 'string' && /\{%.*%\}/s.test(value)) {
        offending.push(`JSONata expression ${value}`);
      }
    });

    expect(offending).toEqual([]);
  });

  it('passes asl-validator', () => {
    const { definition } = loadDefinition();

    const validation = aslValidator(definition);

    expect(validation.errorsText('\n')).toBe('');
    expect(validation.isValid).toBe(true);
  });

  it('retries every Lambda state on service errors', () => {
    const lambdaStates = states.filter(([, state]) => state.Type === 'Task' && state.Resource !== ECS_RUN_TASK_SYNC);

    expect(lambdaStates.length).toBeGreaterThanOrEqual(5);
    for (const [name, state] of lambdaStates) {
      const errors = retriedErrors(state);
      expect(errors, name).toContain('Lambda.ServiceException');
      expect(errors, name).toContain('Lambda.TooManyRequestsException');
      expect(state['TimeoutSeconds'], name).toBeTypeOf('number');
    }
  });

  it('retries lock store faults on every lease state', () => {
    for (const name of ['EnsureLockTable', 'InsertLockRow', 'AcquireLock', 'ReleaseLock', 'ReleaseAfterFailure']) {
      const errors = retriedErrors(raw.States[name] as StateDefinition);
      for (const transient of ['DatabaseResumingException', 'ServiceUnavailableError', 'DatabaseUnavailableException', 'InternalServerErrorException', 'StatementTimeoutException', 'LockStoreConnectionError']) {
        expect(errors, `${name} retries ${transient}`).toContain(transient);
      }
    }
  });

  it('never retries a cron that ran', () => {
    const runCron = states.filter(([, state]) => state.Resource === ECS_RUN_TASK_SYNC);

    expect(runCron).toHaveLength(1);
    const errors = retriedErrors(runCron[0]?.[1] as StateDefinition);
    expect(errors).not.toContain('States.ALL');
    expect(errors).not.toContain('States.TaskFailed');
    expect(errors).not.toContain('States.Timeout');
    expect(errors).toEqual(expect.arrayContaining(['ECS.AmazonECSException', 'AmazonECS.Unknown']));
  });

  it('bounds the cron by the lease', () => {
    const runCron = raw.States['RunCron'] as StateDefinition;

    expect(runCron['TimeoutSecondsPath']).toBe('$.lease.runTimeoutSeconds');
    expect(runCron['TimeoutSeconds']).toBeUndefined();
  });
});

function retriedErrors(state: StateDefinition): string[] {
  const retry = (state['Retry'] ?? []) as { ErrorEquals: string[] }[];
  return retry.flatMap((retrier) => retrier.ErrorEquals);
}
