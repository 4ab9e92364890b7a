// The ARN formats of the Data API settings, apart from the executor so that checking a setting
// does not load @aws-sdk/client-rds-data.

/** An Aurora cluster ARN, the `resourceArn` of the Data API. Groups: partition suffix, region, account, cluster. */
export const CLUSTER_ARN_PATTERN = /^arn:aws([-a-z]*):rds:([a-z0-9-]+):(\d{12}):cluster:([A-Za-z][A-Za-z0-9-]{0,62})$/;

/**
 * A Secrets Manager secret ARN, the `secretArn` of the Data API. The name may contain `!`
 * because secrets that RDS manages for a cluster are named `rds!cluster-...`.
 */
export const SECRET_ARN_PATTERN = /^arn:aws([-a-z]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@!-]+)$/;
