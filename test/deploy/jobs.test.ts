import { describe, expect, it } from 'vitest';
import {
  ENVIRONMENT_VARIABLES,
  parseJobs,
  readRuntimeConfig,
  scheduleIntervalMinutes,
} from '../../functions/shared/config.ts';
import { ConfigurationError } from '../../functions/shared/errors.ts';
import bundledJobs from '../../config/jobs.json' with { type: 'json' };

const TASK_ENVIRONMENT = {
  [ENVIRONMENT_VARIABLES.cluster]: 'whmcs',
  [ENVIRONMENT_VARIABLES.taskDefinition]: 'whmcs-cron',
  [ENVIRONMENT_VARIABLES.subnets]: 'subnet-a',
};

const CRON = { command: ['php', '-q', 'crons/cron.php'] };

describe('parseJobs', () => {
  it('bundled jobs run the WHMCS crons every 5 minutes', () => {
    const jobs = parseJobs(bundledJobs, 'config/jobs.json');

    expect(jobs['cron']?.command).toEqual(['php', '-q', 'crons/cron.php']);
    expect(jobs['pop']?.command).toEqual(['php', '-q', 'crons/pop.php']);
    for (const job of Object.values(jobs)) {
      expect(job.schedule).toBe('rate(5 minutes)');
      expect(job.enabled).toBe(true);
    }
  });

  it('fills in the defaults', () => {
    const job = parseJobs({ cron: CRON }, 'test')['cron'];

    expect(job).toEqual({
      name: 'cron',
      command: CRON.command,
      schedule: 'rate(5 minutes)',
      holdSeconds: 1800,
      minHoldSeconds: 240,
      noSuccessAlarmMinutes: 120,
      enabled: true,
    });
  });

  it('accepts rate and cron schedules', () => {
    for (const schedule of ['rate(1 minute)', 'rate(15 minutes)', 'rate(1 hour)', 'rate(2 days)', 'cron(0 3 * * ? *)', 'cron(*/5 * * * ? *)']) {
      expect(parseJobs({ cron: { ...CRON, schedule, noSuccessAlarmMinutes: 5760 } }, 'test')['cron']?.schedule).toBe(schedule);
    }
  });

  it('rejects malformed schedules', () => {
    for (const schedule of ['every 5 minutes', 'rate(1 minutes)', 'rate(5 minute)', 'rate(0 minutes)', 'cron(0 3 * * ?)', '']) {
      expect(() => parseJobs({ cron: { ...CRON, schedule } }, 'test')).toThrow('must be an EventBridge schedule expression');
    }
  });

  it('rejects unknown keys', () => {
    expect(() => parseJobs({ cron: { ...CRON, comand: ['php'] } }, 'config/jobs.json')).toThrow(ConfigurationError);
    expect(() => parseJobs({ cron: { ...CRON, comand: ['php'] } }, 'config/jobs.json')).toThrow('config/jobs.json');
    expect(() => parseJobs({ cron: { ...CRON, comand: ['php'] } }, 'config/jobs.json')).toThrow('comand');
  });

  it('rejects a missing command', () => {
    expect(() => parseJobs({ cron: { schedule: 'rate(5 minutes)' } }, 'test')).toThrow('"cron.command"');
  });

  it('rejects minHoldSeconds over holdSeconds', () => {
    expect(() => parseJobs({ cron: { ...CRON, holdSeconds: 600, minHoldSeconds: 601 } }, 'test')).toThrow('minHoldSeconds 601 over holdSeconds 600');
  });

  it('rejects job names that are not lock names', () => {
    for (const name of ['Cron', '1cron', 'cron job', 'x'.repeat(65)]) {
      expect(() => parseJobs({ [name]: CRON }, 'test')).toThrow('is not allowed');
    }
  });

  it('rejects an empty jobs object', () => {
    expect(() => parseJobs({}, 'test')).toThrow('no job is configured');
  });

  it('rejects alarm windows CloudWatch cannot evaluate', () => {
    expect(() => parseJobs({ cron: { ...CRON, noSuccessAlarmMinutes: 123 } }, 'test')).toThrow('multiple of 5');
    expect(() => parseJobs({ cron: { ...CRON, noSuccessAlarmMinutes: 1470 } }, 'test')).toThrow('multiple of 60 above it');
    expect(() => parseJobs({ cron: { ...CRON, noSuccessAlarmMinutes: 5 } }, 'test')).toThrow('"cron.noSuccessAlarmMinutes"');
    expect(() => parseJobs({ cron: { ...CRON, noSuccessAlarmMinutes: 10_140 } }, 'test')).toThrow('"cron.noSuccessAlarmMinutes"');
    expect(parseJobs({ cron: { ...CRON, noSuccessAlarmMinutes: 1500 } }, 'test')['cron']?.noSuccessAlarmMinutes).toBe(1500);
  });

  it('rejects an alarm shorter than two intervals', () => {
    expect(() => parseJobs({ cron: { ...CRON, schedule: 'rate(1 hour)', noSuccessAlarmMinutes: 115 } }, 'test')).toThrow('set it to at least 120');
    expect(parseJobs({ cron: { ...CRON, schedule: 'rate(1 hour)', noSuccessAlarmMinutes: 120 } }, 'test')['cron']?.noSuccessAlarmMinutes).toBe(120);
  });
});

describe('scheduleIntervalMinutes', () => {
  it('converts rate units to minutes', () => {
    expect(scheduleIntervalMinutes('rate(1 minute)')).toBe(1);
    expect(scheduleIntervalMinutes('rate(5 minutes)')).toBe(5);
    expect(scheduleIntervalMinutes('rate(2 hours)')).toBe(120);
    expect(scheduleIntervalMinutes('rate(1 day)')).toBe(1440);
  });

  it('returns null for cron expressions', () => {
    expect(scheduleIntervalMinutes('cron(0 3 * * ? *)')).toBeNull();
  });
});

describe('readRuntimeConfig', () => {
  it('reads the defaults of optional settings', () => {
    const config = readRuntimeConfig(TASK_ENVIRONMENT);

    expect(config.table).toBe('tblcronlock');
    expect(config.task).toEqual({
      cluster: 'whmcs',
      taskDefinition: 'whmcs-cron',
      containerName: 'whmcs',
      capacityProvider: 'FARGATE',
      subnets: ['subnet-a'],
      securityGroups: [],
      assignPublicIp: 'DISABLED',
      stopGraceSeconds: 30,
      runMarginSeconds: 30,
      minRunSeconds: 60,
    });
    expect(Object.isFrozen(config.task.subnets)).toBe(true);
  });

  it('names the variable of a missing setting', () => {
    const withoutCluster = Object.fromEntries(Object.entries(TASK_ENVIRONMENT).filter(([name]) => name !== ENVIRONMENT_VARIABLES.cluster));

    expect(() => readRuntimeConfig(withoutCluster)).toThrow(ConfigurationError);
    expect(() => readRuntimeConfig(withoutCluster)).toThrow('Invalid setting CRONLOCK_ECS_CLUSTER: is not set');
    expect(() => readRuntimeConfig({ ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.taskDefinition]: '  ' })).toThrow('Invalid setting CRONLOCK_ECS_TASK_DEFINITION: is not set');
    expect(() => readRuntimeConfig({ ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.subnets]: ' , ' })).toThrow('no subnet is set');
  });

  it('rejects invalid values', () => {
    expect(() => readRuntimeConfig({ ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.table]: 'tbl-cronlock' })).toThrow('is not a valid table name');
    expect(() => readRuntimeConfig({ ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.table]: '' })).toThrow('is not a valid table name');
    expect(() => readRuntimeConfig({ ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.stopGraceSeconds]: '2.5' })).toThrow('CRONLOCK_ECS_STOP_GRACE_SECONDS');
    expect(() => readRuntimeConfig({ ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.assignPublicIp]: 'yes' })).toThrow('is not ENABLED or DISABLED');
    expect(() => readRuntimeConfig({ ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.jobs]: '{' })).toThrow('CRONLOCK_JOBS: is not valid JSON');
  });

  it('rejects a job hold shorter than grace, margin and run', () => {
    const jobs = JSON.stringify({ cron: { ...CRON, holdSeconds: 300, minHoldSeconds: 0 } });
    const environment = { ...TASK_ENVIRONMENT, [ENVIRONMENT_VARIABLES.jobs]: jobs, [ENVIRONMENT_VARIABLES.minRunSeconds]: '241' };

    expect(() => readRuntimeConfig(environment)).toThrow('job "cron" has holdSeconds 300, below 301');
    expect(readRuntimeConfig({ ...environment, [ENVIRONMENT_VARIABLES.minRunSeconds]: '240' }).jobs['cron']?.holdSeconds).toBe(300);
  });
});
