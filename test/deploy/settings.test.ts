import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES, readRuntimeConfig } from '../../functions/shared/config.ts';
import { InvalidInputError } from '../../functions/shared/errors.ts';
import { resolveSettings } from '../../functions/shared/settings.ts';

const JOBS = {
  cron: { command: ['php', '-q', 'crons/cron.php'] },
  pop: { command: ['php', '-q', 'crons/pop.php'], holdSeconds: 900, minHoldSeconds: 120 },
  invoices: { command: ['php', '-q', 'crons/cron.php', 'do', '--CreateInvoices'], enabled: false },
};

const CONFIG = readRuntimeConfig({
  [ENVIRONMENT_VARIABLES.cluster]: 'whmcs',
  [ENVIRONMENT_VARIABLES.taskDefinition]: 'whmcs-cron',
  [ENVIRONMENT_VARIABLES.subnets]: 'subnet-a,subnet-b',
  [ENVIRONMENT_VARIABLES.securityGroups]: 'sg-a',
  [ENVIRONMENT_VARIABLES.jobs]: JSON.stringify(JOBS),
});

const EXECUTION = {
  id: 'arn:aws:states:eu-west-1:111122223333:execution:cronlock-test:manual-1',
  name: 'manual-1',
};

function resolve(input: unknown) {
  return resolveSettings(input, EXECUTION, CONFIG);
}

/** Asserts that the input fails with InvalidInput on `field`, with each part in the message. */
function expectInvalid(input: unknown, field: string, ...messageParts: string[]): void {
  expect(() => resolve(input)).toThrow(InvalidInputError);
  expect(() => resolve(input)).toThrow(expect.objectContaining({ name: 'InvalidInput', field }));
  for (const part of messageParts) {
    expect(() => resolve(input)).toThrow(part);
  }
}

describe('resolveSettings accepts', () => {
  it('empty input with the cron defaults', () => {
    const settings = resolve({});

    expect(settings.job).toBe('cron');
    expect(settings.holdSeconds).toBe(1800);
    expect(settings.minHoldSeconds).toBe(240);
    expect(settings.task.command).toEqual(['php', '-q', 'crons/cron.php']);
    expect(settings.owner).toBe(EXECUTION.id);
  });

  it('console placeholder comment', () => {
    const settings = resolve({ Comment: 'Insert your JSON here' });

    expect(settings.job).toBe('cron');
    expect(settings).not.toHaveProperty('Comment');
  });

  it('schedule input of another job', () => {
    const settings = resolve({ job: 'pop' });

    expect(settings.job).toBe('pop');
    expect(settings.holdSeconds).toBe(900);
    expect(settings.minHoldSeconds).toBe(120);
    expect(settings.task.command).toEqual(['php', '-q', 'crons/pop.php']);
    expect(settings.task.startedBy).toBe('cronlock/pop');
  });

  it('holdSeconds alone', () => {
    const settings = resolve({ holdSeconds: 600 });

    expect(settings.holdSeconds).toBe(600);
    expect(settings.minHoldSeconds).toBe(240);
  });

  it('minHoldSeconds alone', () => {
    expect(resolve({ minHoldSeconds: 0 }).minHoldSeconds).toBe(0);
  });

  it('holds at their limits', () => {
    const shortest = resolve({ holdSeconds: 120, minHoldSeconds: 120 });
    const longest = resolve({ holdSeconds: 86_400, minHoldSeconds: 86_400 });

    expect(shortest.holdSeconds).toBe(120);
    expect(shortest.minHoldSeconds).toBe(120);
    expect(longest.holdSeconds).toBe(86_400);
  });

  it('task settings from deploy configuration only', () => {
    const settings = resolve({ job: 'cron' });

    expect(settings.table).toBe('tblcronlock');
    expect(settings.task.cluster).toBe('whmcs');
    expect(settings.task.taskDefinition).toBe('whmcs-cron');
    expect(settings.task.capacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    expect(settings.task.networkConfiguration.AwsvpcConfiguration).toEqual({
      Subnets: ['subnet-a', 'subnet-b'],
      SecurityGroups: ['sg-a'],
      AssignPublicIp: 'DISABLED',
    });
  });
});

describe('resolveSettings rejects', () => {
  it('input that is not an object', () => {
    for (const input of [null, [], ['cron'], 'cron', 5, true]) {
      expectInvalid(input, '$', 'must be a JSON object');
    }
  });

  it('unknown fields', () => {
    expectInvalid({ command: ['rm', '-rf', '/'] }, 'command', 'unknown field', 'job, holdSeconds, minHoldSeconds, Comment');
    expectInvalid({ Job: 'cron' }, 'Job', 'unknown field', 'case-sensitive');
    expectInvalid({ job: 'cron', task: {} }, 'task', 'unknown field');
  });

  it('job of the wrong type', () => {
    expectInvalid({ job: 5 }, 'job', 'got 5', 'the enabled jobs are cron, pop');
    expectInvalid({ job: null }, 'job', 'got null');
    expectInvalid({ job: ['cron'] }, 'job', 'got ["cron"]');
  });

  it('unknown jobs', () => {
    expectInvalid({ job: 'backup' }, 'job', '"backup" is not a configured job', 'the enabled jobs are cron, pop');
    expectInvalid({ job: 'CRON' }, 'job', 'is not a configured job');
    expectInvalid({ job: '__proto__' }, 'job', 'is not a configured job');
    expectInvalid({ job: 'constructor' }, 'job', 'is not a configured job');
  });

  it('disabled job', () => {
    expectInvalid({ job: 'invoices' }, 'job', 'job "invoices" is disabled', 'config/jobs.json');
  });

  it('holds of the wrong type', () => {
    expectInvalid({ holdSeconds: '600' }, 'holdSeconds', 'whole number of seconds from 120 to 86400', 'got "600"');
    expectInvalid({ holdSeconds: 600.5 }, 'holdSeconds', 'got 600.5');
    expectInvalid({ holdSeconds: null }, 'holdSeconds', 'got null');
    expectInvalid({ minHoldSeconds: true }, 'minHoldSeconds', 'got true');
  });

  it('holds out of range', () => {
    expectInvalid({ holdSeconds: 119 }, 'holdSeconds', 'from 120 to 86400', 'stop grace 30 s + margin 30 s + shortest run 60 s');
    expectInvalid({ holdSeconds: 86_401 }, 'holdSeconds', 'from 120 to 86400');
    expectInvalid({ holdSeconds: 0 }, 'holdSeconds', 'got 0');
    expectInvalid({ minHoldSeconds: -1 }, 'minHoldSeconds', 'from 0 to 1800');
  });

  it('minHoldSeconds over holdSeconds', () => {
    expectInvalid({ holdSeconds: 600, minHoldSeconds: 601 }, 'minHoldSeconds', 'from 0 to 600', 'may not exceed holdSeconds 600');
    expectInvalid({ minHoldSeconds: 1801 }, 'minHoldSeconds', 'from 0 to 1800');
  });

  it('holdSeconds below the job minimum hold', () => {
    expectInvalid({ holdSeconds: 200 }, 'holdSeconds', "below the job's minHoldSeconds 240", 'also set minHoldSeconds from 0 to 200');
    expect(resolve({ holdSeconds: 200, minHoldSeconds: 200 }).minHoldSeconds).toBe(200);
  });

  it('Comment that is not text', () => {
    expectInvalid({ Comment: 5 }, 'Comment', 'must be text');
  });
});
