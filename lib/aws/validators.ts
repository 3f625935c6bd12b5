import { z } from 'zod';

/** Returns why a name breaks the S3 general purpose bucket naming rules, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters long; S3 bucket names have 3 to 63`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may contain only lowercase letters, digits, "." and "-"';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must start and end with a lowercase letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (name.startsWith(prefix)) return `must not start with the reserved prefix "${prefix}"`;
  }
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) {
    if (name.endsWith(suffix)) return `must not end with the reserved suffix "${suffix}"`;
  }
  return undefined;
}

/** An S3 general purpose bucket name (e.g. `acme-mlops-artifacts`). @internal */
export const bucketName = z.string().superRefine((v, ctx) => {
  const problem = bucketNameProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `is not a valid S3 bucket name: it ${problem} (e.g. "acme-mlops-artifacts")` });
});

/** A key prefix inside a bucket: no leading "/", no wildcards (they would widen IAM resources). @internal */
export const keyPrefix = z
  .string()
  .regex(/^(?!\/)[^*?]*$/, { message: 'must be an S3 key prefix without a leading "/" and without "*" or "?" (e.g. "mlflow/")' });

/** An RDS instance class such as `db.t4g.medium` or `db.r7g.large`. @internal */
export const dbInstanceClass = z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9-]+$/, {
  message: 'must be an RDS instance class starting with "db." (e.g. "db.t4g.medium", "db.r7g.large")',
});

/** A PostgreSQL engine version, major 16 or newer (`16`, `16.4`, `17`). @internal */
export const postgresVersion = z.string().superRefine((v, ctx) => {
  const m = /^(\d+)(?:\.\d+)?$/.exec(v);
  if (!m) ctx.addIssue({ code: 'custom', message: 'must be a PostgreSQL version such as "17" or "16.4"' });
  else if (Number(m[1]) < 16) ctx.addIssue({ code: 'custom', message: 'must be PostgreSQL 16 or newer (e.g. "17" or "16.4")' });
});

/** An RDS DB instance identifier (letters, digits, hyphens; starts with a letter; at most 55 so `-final` fits). @internal */
export const dbIdentifier = z.string().regex(/^[a-z](?!.*--)[a-z0-9-]{0,54}(?<!-)$/, {
  message: 'must be an RDS identifier: lowercase letters, digits and "-", starting with a letter, no "--", not ending in "-", at most 55 characters',
});

/** A TCP port. @internal */
export const tcpPort = z.number().int().min(1).max(65535);

/** @internal */
export { k8sNameOrToken } from '../core/validators';
