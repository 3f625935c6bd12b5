/**
 * Default images, pinned. Changing one is a release note: every pod that uses
 * it rolls. Users override each per construct.
 */
export const DEFAULT_IMAGES = {
  /** MLflow 3.x with the Postgres driver, boto3, pandas, numpy, scipy, pyarrow and the Prometheus exporter. */
  mlflow: 'ghcr.io/mlflow/mlflow:v3.17.0-full',
  /** PostgreSQL for the in-cluster registry database. */
  postgres: 'docker.io/library/postgres:17.6-bookworm',
} as const;
