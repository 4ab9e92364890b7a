import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Timeout given to in-process handlers, as a deployed function's configured timeout. */
const LOCAL_FUNCTION_TIMEOUT_MILLISECONDS = 60_000;

/** Builds the Lambda context a deployed function would receive, for calling a handler in process. */
export function createLambdaContext(functionName: string): Context {
  const deadline = Date.now() + LOCAL_FUNCTION_TIMEOUT_MILLISECONDS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
