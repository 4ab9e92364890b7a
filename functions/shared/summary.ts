import type { SettingsState, Summary } from './workflow-state.ts';

/** A summary with the execution's settings and nothing decided yet. */
export function emptySummary(settings: SettingsState): Summary {
  return {
    outcome: 'acquired',
    job: settings.job,
    owner: settings.owner,
    holder: null,
    fencingToken: null,
    lockedAt: null,
    lockUntil: null,
    holdSeconds: settings.holdSeconds,
    minHoldSeconds: settings.minHoldSeconds,
    message: '',
    error: null,
    cronStarted: false,
    cronExitCode: null,
    taskArn: null,
    stopCode: null,
    stoppedReason: null,
    containers: [],
    releaseStatus: null,
    cause: null,
  };
}
