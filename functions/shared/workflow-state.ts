import * as z from './zod.ts';

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
  stopGraceSeconds: z.int().check(z.nonnegative()),
  runMarginSeconds: z.int().check(z.nonnegative()),
});

export const settingsSchema = z.looseObject({
  job: z.string(),
  owner: z.string(),
  executionName: z.string(),
  table: z.string(),
  holdSeconds: z.int().check(z.positive()),
  minHoldSeconds: z.int().check(z.nonnegative()),
  task: taskRequestSchema,
});

/** The lease as AcquireLock saw it. On a skip, `holder` is the execution that holds the lock. */
export const leaseStateSchema = z.object({
  acquired: z.boolean(),
  holder: z.nullable(z.string()),
  fencingToken: z.int().check(z.nonnegative()),
  lockedAt: z.nullable(z.string()),
  lockUntil: z.nullable(z.string()),
  releasedAt: z.nullable(z.string()),
  databaseTime: z.string(),
  /** RunCron's timeout: the lease left after acquire minus stop grace and margin; null on a skip. */
  runTimeoutSeconds: z.nullable(z.int().check(z.positive())),
});

/** A caught error as Step Functions writes it at a Catch's ResultPath. */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.optional(z.string()) });

export const OUTCOMES = ['acquired', 'skipped', 'ran', 'failed'] as const;

export const containerSummarySchema = z.object({
  name: z.string(),
  exitCode: z.nullable(z.int()),
  reason: z.nullable(z.string()),
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
  holder: z.nullable(z.string()),
  /** The holder's fencing token: this execution's on an acquire, the other holder's on a skip. */
  fencingToken: z.nullable(z.int().check(z.nonnegative())),
  /** Start of the holder's lease. */
  lockedAt: z.nullable(z.string()),
  /** End of the holder's lease; on a skip, the earliest time the lock can be taken again. */
  lockUntil: z.nullable(z.string()),
  holdSeconds: z.int(),
  minHoldSeconds: z.int(),
  /** Error name for a failed outcome, used as the execution's error. */
  error: z.nullable(z.string()),
  cronStarted: z.boolean(),
  /** Exit code of the job's own container; sidecars are listed in `containers`. */
  cronExitCode: z.nullable(z.int()),
  taskArn: z.nullable(z.string()),
  taskStartedAt: z.nullable(z.string()),
  taskStoppedAt: z.nullable(z.string()),
  /** Seconds from taskStartedAt to taskStoppedAt, as ECS reported them. */
  cronDurationSeconds: z.nullable(z.number().check(z.nonnegative())),
  stopCode: z.nullable(z.string()),
  stoppedReason: z.nullable(z.string()),
  containers: z.array(containerSummarySchema),
  /** CloudWatch Logs group and stream of the job's container (awslogs), null when not configured. */
  logGroup: z.nullable(z.string()),
  logStream: z.nullable(z.string()),
  /** CloudWatch console link to logStream. */
  logUrl: z.nullable(z.string()),
  releaseStatus: z.nullable(z.enum(['released', 'already-released', 'lost'])),
  /** For a failed outcome: this summary as JSON, for the Fail state's CausePath. */
  cause: z.nullable(z.string()),
});

export type SettingsState = z.infer<typeof settingsSchema>;
export type LeaseState = z.infer<typeof leaseStateSchema>;
export type CaughtError = z.infer<typeof caughtErrorSchema>;
export type Summary = z.infer<typeof summarySchema>;
export type ContainerSummary = z.infer<typeof containerSummarySchema>;
export type Outcome = (typeof OUTCOMES)[number];
