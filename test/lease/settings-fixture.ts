import type { SettingsState } from '../../functions/shared/workflow-state.ts';

/** Returns the workflow settings of an execution of the `cron` job with the default holds. */
export function settingsFor(owner: string, overrides: Partial<SettingsState> = {}): SettingsState {
  return {
    job: 'cron',
    owner,
    executionName: owner.split(':').at(-1) ?? owner,
    table: 'tblcronlock',
    holdSeconds: 1800,
    minHoldSeconds: 240,
    task: {
      cluster: 'whmcs',
      taskDefinition: 'whmcs-cron',
      containerName: 'whmcs',
      command: ['php', '-q', 'crons/cron.php'],
      startedBy: 'cronlock/cron',
      stopGraceSeconds: 30,
      runMarginSeconds: 30,
    },
    ...overrides,
  };
}
