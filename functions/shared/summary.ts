import type { SettingsState, Summary } from './workflow-state.ts';

/**
 * Returns a summary with the execution's settings and nothing decided yet. Its key order is the
 * order in which the console shows the output, so the outcome and message come first.
 */
export function emptySummary(settings: SettingsState): Summary {
  return {
    outcome: 'acquired',
    message: '',
    job: settings.job,
    owner: settings.owner,
    holder: null,
    fencingToken: null,
    lockedAt: null,
    lockUntil: null,
    holdSeconds: settings.holdSeconds,
    minHoldSeconds: settings.minHoldSeconds,
    error: null,
    cronStarted: false,
    cronExitCode: null,
    taskArn: null,
    taskStartedAt: null,
    taskStoppedAt: null,
    cronDurationSeconds: null,
    stopCode: null,
    stoppedReason: null,
    containers: [],
    logGroup: null,
    logStream: null,
    logUrl: null,
    releaseStatus: null,
    cause: null,
  };
}
