import { CliError, EXIT_CODES } from './exit-codes.ts';

/** Shared handling of AWS settings and SDK errors for the commands that call AWS. */

type Environment = Readonly<Record<string, string | undefined>>;

/** Partition, region, service and resource of an ARN. */
const ARN_PATTERN = /^arn:(aws[-a-z]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/;

/** A Step Functions state machine ARN. */
export const STATE_MACHINE_ARN_PATTERN = /^arn:aws[-a-z]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export const STATE_MACHINE_ARN_VARIABLE = 'CRONLOCK_STATE_MACHINE_ARN';

/** Returns the region of an ARN, or null for text that is not an ARN or names no region. */
export function regionOfArn(arn: string | undefined): string | null {
  const region = arn === undefined ? undefined : ARN_PATTERN.exec(arn)?.[3];
  return region === undefined || region === '' ? null : region;
}

/**
 * Picks the region: --region, then the region of the ARN the command works on, then AWS_REGION
 * and AWS_DEFAULT_REGION. Null leaves it to the SDK, which reads the profile's region from
 * ~/.aws/config. If that has none either, the SDK call fails and describeAwsError names what to set.
 */
export function resolveRegion(option: string | undefined, arn: string | undefined, environment: Environment = process.env): string | null {
  return option?.trim() || regionOfArn(arn) || environment['AWS_REGION']?.trim() || environment['AWS_DEFAULT_REGION']?.trim() || null;
}

/** Reads --state-machine-arn or CRONLOCK_STATE_MACHINE_ARN and checks its form. */
export function resolveStateMachineArn(option: string | undefined, environment: Environment = process.env): string {
  const arn = option?.trim() || environment[STATE_MACHINE_ARN_VARIABLE]?.trim();
  if (!arn) {
    throw new CliError(
      `No state machine is set; pass --state-machine-arn or set ${STATE_MACHINE_ARN_VARIABLE} to the ARN of the deployed cronlock state machine (the StateMachineArn output of the stack, or "aws stepfunctions list-state-machines").`,
    );
  }
  if (!STATE_MACHINE_ARN_PATTERN.test(arn)) {
    throw new CliError(`"${arn}" is not a state machine ARN; expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`);
  }
  return arn;
}

/** Returns the Step Functions console page of an execution. */
export function executionConsoleUrl(executionArn: string): string {
  const match = ARN_PATTERN.exec(executionArn);
  const partition = match?.[1] ?? 'aws';
  const region = match?.[3] ?? 'us-east-1';
  return `https://${region}.${consoleHost(partition)}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

function consoleHost(partition: string): string {
  switch (partition) {
    case 'aws-cn':
      return 'console.amazonaws.cn';
    case 'aws-us-gov':
      return 'console.amazonaws-us-gov.com';
    default:
      return 'console.aws.amazon.com';
  }
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredTokenException',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'TokenRefreshRequired',
]);

const NOT_FOUND_ERRORS = new Set([
  'StateMachineDoesNotExist',
  'ExecutionDoesNotExist',
  'ClusterNotFoundException',
  'InvalidArn',
  'ResourceNotFoundException',
]);

/**
 * Turns an SDK error into a CliError that names what to fix. Missing region or credentials and
 * unknown resources are usage errors; everything else is a failure with the service's message.
 * `action` names the call, such as "StartExecution on arn:...".
 */
export function describeAwsError(error: unknown, action: string): CliError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);

  if (/region is missing/i.test(message)) {
    return new CliError(`${action} failed: no AWS region is set; pass --region, set AWS_REGION, or set a region in the AWS profile.`);
  }
  if (CREDENTIAL_ERRORS.has(name) || /could not load credentials/i.test(message)) {
    return new CliError(
      `${action} failed: AWS credentials are missing or expired (${name}: ${message}). Set AWS_PROFILE and run "aws sso login", or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new CliError(`${action} was denied (${message}). Grant the permission to the role or user you run cronlock as.`, EXIT_CODES.failure);
  }
  if (NOT_FOUND_ERRORS.has(name)) {
    return new CliError(`${action} failed: ${name}: ${message}. Check the ARN or name and the region.`);
  }
  return new CliError(`${action} failed: ${name}: ${message}`, EXIT_CODES.failure);
}
