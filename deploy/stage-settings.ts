import { z } from 'zod';
import {
  DEFAULT_ASSIGN_PUBLIC_IP,
  DEFAULT_CAPACITY_PROVIDER,
  DEFAULT_CONTAINER_NAME,
  DEFAULT_MIN_RUN_SECONDS,
  DEFAULT_RUN_MARGIN_SECONDS,
  DEFAULT_STOP_GRACE_SECONDS,
} from '../functions/shared/config.ts';
import { DEFAULT_TABLE_NAME, TABLE_NAME_PATTERN } from '../functions/shared/lease/lease-sql.ts';

/**
 * The settings of one deployment stage, read from config/stages/STAGE.yml. The schema rejects
 * unknown keys, so a misspelt setting stops packaging instead of being ignored.
 */

/** Retention periods that CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
export const DEFAULT_LOG_RETENTION_DAYS = 30;

const PARTITION = 'arn:aws[a-z-]*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
const ECS_NAME = '[A-Za-z0-9_-]{1,255}';

export const PATTERNS = {
  region: new RegExp(`^${REGION}$`),
  clusterName: new RegExp(`^${ECS_NAME}$`),
  clusterArn: new RegExp(`^${PARTITION}:ecs:(${REGION}):${ACCOUNT}:cluster/(${ECS_NAME})$`),
  taskDefinition: new RegExp(`^(${ECS_NAME})(?::[1-9]\\d*)?$`),
  taskDefinitionArn: new RegExp(`^${PARTITION}:ecs:(${REGION}):${ACCOUNT}:task-definition/(${ECS_NAME})(?::[1-9]\\d*)?$`),
  containerName: new RegExp(`^${ECS_NAME}$`),
  capacityProvider: new RegExp(`^${ECS_NAME}$`),
  subnet: /^subnet-[0-9a-f]{8,17}$/,
  securityGroup: /^sg-[0-9a-f]{8,17}$/,
  roleArn: new RegExp(`^${PARTITION}:iam::${ACCOUNT}:role/[\\w+=,.@/-]{1,512}$`),
  policyArn: new RegExp(`^${PARTITION}:iam::(?:${ACCOUNT}|aws):policy/[\\w+=,.@/-]{1,512}$`),
  databaseClusterArn: new RegExp(`^${PARTITION}:rds:(${REGION}):${ACCOUNT}:cluster:[a-z][a-z0-9-]{0,62}$`),
  secretArn: new RegExp(`^${PARTITION}:secretsmanager:(${REGION}):${ACCOUNT}:secret:[\\w/+=.@-]+-[A-Za-z0-9]{6}$`),
  kmsKeyArn: new RegExp(`^${PARTITION}:kms:(${REGION}):${ACCOUNT}:key/(?:mrk-)?[0-9a-f-]{32,36}$`),
  topicArn: new RegExp(`^${PARTITION}:sns:(${REGION}):${ACCOUNT}:[A-Za-z0-9_-]{1,256}$`),
  databaseName: /^[A-Za-z0-9_$]{1,64}$/,
  email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
  bucketName: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
} as const;

/** Builds a text setting with a pattern. `missing` is the hint shown when the key is absent. */
function text(pattern: RegExp, invalid: string, missing?: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is missing; ${missing ?? invalid}` : `${invalid}, got ${JSON.stringify(issue.input)}`) })
    .regex(pattern, { error: (issue) => `${invalid}, got ${JSON.stringify(issue.input)}` });
}

function seconds(defaultSeconds: number) {
  return z
    .number({ error: (issue) => `must be a whole number of seconds from 0 to 3600, got ${JSON.stringify(issue.input)}` })
    .int({ error: 'must be a whole number of seconds from 0 to 3600' })
    .min(0, { error: 'must be a whole number of seconds from 0 to 3600' })
    .max(3600, { error: 'must be a whole number of seconds from 0 to 3600' })
    .default(defaultSeconds);
}

function idList(pattern: RegExp, what: string, example: string, maximum: number) {
  const item = text(pattern, `must be ${what} such as ${example}`);
  return z
    .array(item, { error: (issue) => (issue.input === undefined ? `is missing; list at least one ${what}, such as [${example}]` : `must be a list of ${what}s, such as [${example}]`) })
    .min(1, { error: `must list at least one ${what}, such as [${example}]` })
    .max(maximum, { error: `may list at most ${maximum} entries` });
}

/** Returns the message for a settings group that is absent or not a mapping. */
function groupError(keys: string) {
  return (issue: { input: unknown }) => (issue.input === undefined ? `is missing; set ${keys}` : `must be a mapping of ${keys}`);
}

const ecsSchema = z.strictObject({
  cluster: z.union(
    [z.string().regex(PATTERNS.clusterName), z.string().regex(PATTERNS.clusterArn)],
    { error: (issue) => (issue.input === undefined ? 'is missing; set the name or ARN of the ECS cluster that runs WHMCS' : `must be an ECS cluster name or ARN, got ${JSON.stringify(issue.input)}`) },
  ),
  taskDefinition: z.union(
    [z.string().regex(PATTERNS.taskDefinition), z.string().regex(PATTERNS.taskDefinitionArn)],
    { error: (issue) => (issue.input === undefined ? 'is missing; set the WHMCS task definition family, optionally with a revision (whmcs or whmcs:42)' : `must be a task definition family, family:revision or ARN, got ${JSON.stringify(issue.input)}`) },
  ),
  containerName: text(PATTERNS.containerName, 'must be the name of the container that runs the cron in the task definition').default(DEFAULT_CONTAINER_NAME),
  subnets: idList(PATTERNS.subnet, 'subnet ID', 'subnet-0123456789abcdef0', 16),
  securityGroups: idList(PATTERNS.securityGroup, 'security group ID', 'sg-0123456789abcdef0', 5),
  capacityProvider: text(PATTERNS.capacityProvider, 'must be a capacity provider name such as FARGATE or FARGATE_SPOT').default(DEFAULT_CAPACITY_PROVIDER),
  assignPublicIp: z.enum(['ENABLED', 'DISABLED'], { error: 'must be ENABLED or DISABLED' }).default(DEFAULT_ASSIGN_PUBLIC_IP),
  stopGraceSeconds: seconds(DEFAULT_STOP_GRACE_SECONDS),
  runMarginSeconds: seconds(DEFAULT_RUN_MARGIN_SECONDS),
  minRunSeconds: seconds(DEFAULT_MIN_RUN_SECONDS),
  executionRoleArn: text(PATTERNS.roleArn, 'must be the ARN of an IAM role', 'set the ARN of the task execution role named in the task definition'),
  taskRoleArn: text(PATTERNS.roleArn, 'must be the ARN of an IAM role').optional(),
  logGroup: text(/^[.\-_/#A-Za-z0-9]{1,512}$/, "must be the CloudWatch Logs group of the task definition's awslogs driver").optional(),
  logStreamPrefix: text(/^[^:*]{1,512}$/, "must be the awslogs-stream-prefix of the task definition's awslogs driver").optional(),
}, { error: groupError('cluster, taskDefinition, subnets, securityGroups and executionRoleArn') });

const databaseVpcSchema = z.strictObject({
  subnets: idList(PATTERNS.subnet, 'subnet ID', 'subnet-0123456789abcdef0', 16),
  securityGroups: idList(PATTERNS.securityGroup, 'security group ID', 'sg-0123456789abcdef0', 5),
}, { error: groupError('subnets and securityGroups') });

const databaseSchema = z
  .strictObject({
    table: text(TABLE_NAME_PATTERN, 'must be 1 to 64 letters, digits or underscores, not starting with a digit').default(DEFAULT_TABLE_NAME),
    clusterArn: text(PATTERNS.databaseClusterArn, 'must be the ARN of an Aurora MySQL cluster such as arn:aws:rds:eu-west-1:123456789012:cluster:whmcs').optional(),
    secretArn: text(PATTERNS.secretArn, 'must be the full ARN of a Secrets Manager secret, including its 6-character suffix').optional(),
    name: text(PATTERNS.databaseName, 'must be a MySQL database name').optional(),
    secretKmsKeyArn: text(PATTERNS.kmsKeyArn, 'must be the ARN of the KMS key that encrypts the secret').optional(),
    url: z.string({ error: 'must be text' }).optional(),
    vpc: databaseVpcSchema.optional(),
  }, { error: groupError('clusterArn, secretArn and name for the Data API, or url and vpc') })
  .superRefine((database, context) => {
    const dataApiKeys = (['clusterArn', 'secretArn', 'name'] as const).filter((key) => database[key] !== undefined);
    if (database.url !== undefined) {
      for (const key of [...dataApiKeys, ...(database.secretKmsKeyArn === undefined ? [] : ['secretKmsKeyArn'])]) {
        context.addIssue({ code: 'custom', path: [key], message: 'cannot be set together with url; use either the Data API (clusterArn, secretArn, name) or a MySQL URL' });
      }
      if (!/^mysql:\/\/[^/\s]+\/[A-Za-z0-9_$]{1,64}(?:\?\S*)?$/.test(database.url)) {
        context.addIssue({ code: 'custom', path: ['url'], message: 'must be a MySQL URL such as mysql://cronlock:PASSWORD@whmcs-db.internal:3306/whmcs' });
      }
      if (database.vpc === undefined) {
        context.addIssue({ code: 'custom', path: ['vpc'], message: 'is missing; with url, set the subnets and security groups from which the Lambda functions reach the database' });
      }
      return;
    }
    for (const key of ['clusterArn', 'secretArn', 'name'] as const) {
      if (database[key] === undefined) {
        context.addIssue({ code: 'custom', path: [key], message: `is missing; set clusterArn, secretArn and name for the Data API (the default), or url for a direct MySQL connection` });
      }
    }
    if (database.vpc !== undefined) {
      context.addIssue({ code: 'custom', path: ['vpc'], message: 'is only used with url; the Data API needs no VPC access' });
    }
  });

export const stageSettingsSchema = z.strictObject({
  region: text(PATTERNS.region, 'must be an AWS Region such as eu-west-1', 'set the AWS Region of the WHMCS cluster, such as eu-west-1'),
  ecs: ecsSchema,
  database: databaseSchema,
  alarms: z
    .strictObject({
      topicArn: text(PATTERNS.topicArn, 'must be the ARN of a standard SNS topic').optional(),
      email: text(PATTERNS.email, 'must be an email address').optional(),
    }, { error: groupError('topicArn or email') })
    .prefault({}),
  logRetentionDays: z
    .number()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), { error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
    .default(DEFAULT_LOG_RETENTION_DAYS),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'must be DEBUG, INFO, WARN or ERROR' }).default('INFO'),
  tracing: z.boolean({ error: 'must be true or false' }).default(false),
  permissionsBoundaryArn: text(PATTERNS.policyArn, 'must be the ARN of an IAM managed policy').optional(),
  deploymentBucket: text(PATTERNS.bucketName, 'must be the name of an existing S3 bucket').optional(),
});

export type StageSettings = z.infer<typeof stageSettingsSchema>;

/** Deploy settings that packaging rejects, listing every problem with the file and key to fix. */
export class DeploySettingsError extends Error {
  readonly source: string;
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`Invalid deploy settings in ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'DeploySettingsError';
    this.source = source;
    this.problems = problems;
    // The Serverless CLI prints the stack of an error thrown while it resolves variables; the
    // frames would only hide the list of settings to fix.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * Validates the content of a stage settings file and fills in the defaults. Throws
 * DeploySettingsError naming each invalid or missing key, including ARNs in another Region.
 */
export function parseStageSettings(value: unknown, source: string): StageSettings {
  if (value === null || value === undefined) {
    throw new DeploySettingsError(source, ['the file is missing or empty; copy config/stages/example.yml to it and fill in the values']);
  }
  const parsed = stageSettingsSchema.safeParse(value);
  if (!parsed.success) {
    throw new DeploySettingsError(source, parsed.error.issues.map(describeIssue));
  }

  const settings = parsed.data;
  const problems = regionMismatches(settings);
  if (problems.length > 0) {
    throw new DeploySettingsError(source, problems);
  }
  return settings;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length === 0 ? 'the top level' : issue.path.join('.');
    return `${issue.keys.join(', ')}: unknown setting at ${where}; check the spelling against docs/DEPLOYING.md`;
  }
  return `${issue.path.join('.')} ${issue.message}`;
}

/** Lists the ARNs whose Region differs from the stage's `region`. */
function regionMismatches(settings: StageSettings): string[] {
  const arns: [string, string | undefined, RegExp][] = [
    ['ecs.cluster', settings.ecs.cluster, PATTERNS.clusterArn],
    ['ecs.taskDefinition', settings.ecs.taskDefinition, PATTERNS.taskDefinitionArn],
    ['database.clusterArn', settings.database.clusterArn, PATTERNS.databaseClusterArn],
    ['database.secretArn', settings.database.secretArn, PATTERNS.secretArn],
    ['database.secretKmsKeyArn', settings.database.secretKmsKeyArn, PATTERNS.kmsKeyArn],
    ['alarms.topicArn', settings.alarms.topicArn, PATTERNS.topicArn],
  ];
  const problems: string[] = [];
  for (const [key, arn, pattern] of arns) {
    const arnRegion = arn === undefined ? undefined : pattern.exec(arn)?.[1];
    if (arnRegion !== undefined && arnRegion !== settings.region) {
      problems.push(`${key} is in Region ${arnRegion}, but the stage deploys to ${settings.region}; use the ARN in ${settings.region} or change region`);
    }
  }
  return problems;
}
