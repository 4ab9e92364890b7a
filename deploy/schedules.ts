import type { JobDefinition } from '../functions/shared/config.ts';
import { SCHEDULE_ROLE_LOGICAL_ID } from './naming.ts';

/**
 * One EventBridge schedule per enabled job, in serverless-step-functions' `events` format. The
 * input names only the job: the command, the hold times and the task settings come from the deployed
 * configuration when ResolveSettings runs.
 */

/** Maximum length of an EventBridge rule name. */
const MAX_RULE_NAME_LENGTH = 64;

/**
 * How long EventBridge keeps retrying a failed StartExecution. By default it retries for 24 hours,
 * which would start a cron at an arbitrary time after an outage. Five minutes covers a short fault,
 * and a job on the default schedule gets its next tick by then anyway.
 */
export const SCHEDULE_MAX_EVENT_AGE_SECONDS = 300;
export const SCHEDULE_MAX_RETRY_ATTEMPTS = 3;

export interface ScheduleContext {
  readonly service: string;
  readonly stage: string;
}

export function buildSchedules(context: ScheduleContext, jobs: readonly JobDefinition[]) {
  return jobs.map((job) => {
    const name = `${context.service}-${context.stage}-${job.name}`;
    return {
      schedule: {
        // serverless-step-functions writes the name and description into JSON without escaping,
        // so neither may contain quotes. Both are built from validated names only.
        ...(name.length <= MAX_RULE_NAME_LENGTH ? { name } : {}),
        description: `Starts the ${job.name} job of ${context.service} ${context.stage} on ${job.schedule}`,
        rate: job.schedule,
        enabled: true,
        input: { job: job.name },
        // The stack's own role, so that the permissions boundary applies to it as to every role.
        role: { 'Fn::GetAtt': [SCHEDULE_ROLE_LOGICAL_ID, 'Arn'] },
        retryPolicy: {
          maximumEventAgeInSeconds: SCHEDULE_MAX_EVENT_AGE_SECONDS,
          maximumRetryAttempts: SCHEDULE_MAX_RETRY_ATTEMPTS,
        },
      },
    };
  });
}
