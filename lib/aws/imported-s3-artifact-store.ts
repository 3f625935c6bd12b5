import type { Construct } from 'constructs';
import { z } from 'zod';
import { parseProps } from '../core/props';
import { S3ArtifactStoreBase } from './s3-artifact-store-base';
import { bucketName, keyPrefix } from './validators';
import { awsRegion } from '../core/validators';

/** Properties of an existing bucket used through `S3ArtifactStore.fromBucketName`. */
export interface ImportedS3ArtifactStoreProps {
  readonly bucketName: string;
  /** Region of the bucket. */
  readonly region: string;
  /**
   * The customer-managed KMS key of the bucket's default encryption; grants add kms:Decrypt/GenerateDataKey on it.
   * @default - no KMS permissions (SSE-S3 or an AWS-managed key)
   */
  readonly kmsKeyArn?: string;
  /**
   * Key prefix under which MLflow stores artifacts.
   * @default 'mlflow'
   */
  readonly prefix?: string;
}

const schema = z.strictObject({
  bucketName,
  region: awsRegion,
  kmsKeyArn: z.string().startsWith('arn:', { message: 'must be a KMS key ARN' }).optional(),
  prefix: keyPrefix.default('mlflow'),
});

/**
 * An existing bucket, referenced by name: the library creates only the grants.
 * Its encryption, versioning and public-access settings are the owner's.
 */
export class ImportedS3ArtifactStore extends S3ArtifactStoreBase {
  public readonly bucketName: string;
  public readonly bucketArn: string;
  public readonly kmsKeyArn?: string;
  public readonly region: string;
  public readonly prefix: string;

  constructor(scope: Construct, id: string, props: ImportedS3ArtifactStoreProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.bucketName = p.bucketName;
    // Bucket ARNs carry no region or account; the partition follows from the region, so no data source is needed.
    const partition = p.region.startsWith('cn-') ? 'aws-cn' : p.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
    this.bucketArn = `arn:${partition}:s3:::${p.bucketName}`;
    this.kmsKeyArn = p.kmsKeyArn;
    this.region = p.region;
    this.prefix = p.prefix.replace(/\/+$/, '');
  }
}
