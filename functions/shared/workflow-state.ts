import { z } from 'zod';

/**
 * The shape of the workflow state between steps, as zod schemas so that each Lambda function's
 * parser middleware rejects a state that the definition did not produce.
 */

export const taskRequestSchema = z.looseObject({
  cluster: z.string(),
  taskDefinition: z.string(),
  containerName: z.string(),
  command: z.array(z.string()),
  startedBy: z.string(),
  stopGraceSeconds: z.number().int().nonnegative(),
  runMarginSeconds: z.number().int().nonnegative(),
});

export const settingsSchema = z.looseObject({
  job: z.string(),
  owner: z.string(),
  executionName: z.string(),
  table: z.string(),
  holdSeconds: z.number().int().positive(),
  minHoldSeconds: z.number().int().nonnegative(),
  task: taskRequestSchema,
});

/** The lease as AcquireLock saw it. On a skip, `holder` is the execution that holds the lock. */
export const leaseStateSchema = z.object({
  acquired: z.boolean(),
  holder: z.string().nullable(),
  fencingToken: z.number().int().nonnegative(),
  lockedAt: z.string().nullable(),
  lockUntil: z.string().nullable(),
  releasedAt: z.string().nullable(),
  databaseTime: z.string(),
  /** RunCron's timeout: the lease left after acquire minus stop grace and margin; null on a skip. */
  runTimeoutSeconds: z.number().int().positive().nullable(),
});

/** A caught error as Step Functions writes it at a Catch's ResultPath. */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const OUTCOMES = ['acquired', 'skipped', 'ran', 'failed'] as const;

export const containerSummarySchema = z.object({
  name: z.string(),
  exitCode: z.number().int().nullable(),
  reason: z.string().nullable(),
});

/**
 * The one object every execution output carries, for reading in the console. A failed execution
 * carries it as JSON in its cause. All times are ISO 8601 UTC: lease times come from the
 * database clock, task times from ECS.
 */
export const summarySchema = z.object({
  outcome: z.enum(OUTCOMES),
  /** One or two sentences for the operator: what happened and what became of the lease. */
  message: z.string(),
  job: z.string(),
  /** This execution's ARN, the owner it acquires with. */
  owner: z.string(),
  /** The execution holding the lock: this one after an acquire, the other one on a skip. */
  holder: z.string().nullable(),
  /** The holder's fencing token: this execution's on an acquire, the other holder's on a skip. */
  fencingToken: z.number().int().nonnegative().nullable(),
  /** Start of the holder's lease. */
  lockedAt: z.string().nullable(),
  /** End of the holder's lease; on a skip, the earliest time the lock can be taken again. */
  lockUntil: z.string().nullable(),
  holdSeconds: z.number().int(),
  minHoldSeconds: z.number().int(),
  /** Error name for a failed outcome, used as the execution's error. */
  error: z.string().nullable(),
  cronStarted: z.boolean(),
  /** Exit code of the job's own container; sidecars are listed in `containers`. */
  cronExitCode: z.number().int().nullable(),
  taskArn: z.string().nullable(),
  taskStartedAt: z.string().nullable(),
  taskStoppedAt: z.string().nullable(),
  /** Seconds from taskStartedAt to taskStoppedAt, as ECS reported them. */
  cronDurationSeconds: z.number().nonnegative().nullable(),
  stopCode: z.string().nullable(),
  stoppedReason: z.string().nullable(),
  containers: z.array(containerSummarySchema),
  /** CloudWatch Logs group and stream of the job's container (awslogs), null when not configured. */
  logGroup: z.string().nullable(),
  logStream: z.string().nullable(),
  /** CloudWatch console link to logStream. */
  logUrl: z.string().nullable(),
  releaseStatus: z.enum(['released', 'already-released', 'lost']).nullable(),
  /** For a failed outcome: this summary as JSON, for the Fail state's CausePath. */
  cause: z.string().nullable(),
});

export type SettingsState = z.infer<typeof settingsSchema>;
export type LeaseState = z.infer<typeof leaseStateSchema>;
export type CaughtError = z.infer<typeof caughtErrorSchema>;
export type Summary = z.infer<typeof summarySchema>;
export type ContainerSummary = z.infer<typeof containerSummarySchema>;
export type Outcome = (typeof OUTCOMES)[number];
