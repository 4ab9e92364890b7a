/**
 * The lock store backend that a package is built for. When serverless.yml packages a stage, its
 * custom.esbuild.define replaces `process.env.CRONLOCK_LOCK_STORE_BACKEND` with the backend of the
 * stage settings: "mysql" for database.url, "data-api" for database.clusterArn. esbuild then
 * drops the code behind a branch for the other backend: mysql2 from a "data-api" package, the
 * Data API executor and its import of @aws-sdk/client-rds-data from a "mysql" package.
 * Code that is not bundled (tests, local runs, the CLI) reads the variable from the environment,
 * where it is normally unset, and then both backends work.
 */
export const LOCK_STORE_BACKEND_VARIABLE = 'CRONLOCK_LOCK_STORE_BACKEND';

export const LOCK_STORE_BACKENDS = ['data-api', 'mysql'] as const;

export type LockStoreBackend = (typeof LOCK_STORE_BACKENDS)[number];
