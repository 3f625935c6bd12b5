import type { Construct } from 'constructs';
import { z } from 'zod';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { parseProps } from '../core/props';
import { applyRemovalPolicy, removalPolicySchema, type RemovalPolicy } from '../core/removal';
import { awsContext, policyDocument } from './aws-context';
import { EncryptionKey } from './encryption-key';
import { S3ArtifactStoreBase } from './s3-artifact-store-base';
import { bucketName, keyPrefix } from './validators';
import { awsRegion } from '../core/validators';
import { ImportedS3ArtifactStore, type ImportedS3ArtifactStoreProps } from './imported-s3-artifact-store';

/** Properties of an {@link S3ArtifactStore}. */
export interface S3ArtifactStoreProps {
  /** Globally unique bucket name, validated against the S3 naming rules. */
  readonly bucketName: string;
  /**
   * Key prefix under which MLflow stores artifacts.
   * @default 'mlflow'
   */
  readonly prefix?: string;
  /**
   * ARN of an existing customer-managed KMS key for SSE-KMS.
   * @default - a new key with rotation is created (construct id `EncryptionKey`)
   */
  readonly kmsKeyArn?: string;
  /**
   * Days after which noncurrent object versions are deleted.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which incomplete multipart uploads are aborted.
   * @default 7
   */
  readonly abortIncompleteMultipartUploadDays?: number;
  /**
   * Server access logging to an existing bucket.
   * @default - no access logging
   */
  readonly accessLogs?: { readonly bucketName: string; readonly prefix?: string };
  /**
   * Whether the bucket and its key survive a destroy (`retain` sets `prevent_destroy`).
   * The bucket is never force-destroyed: a non-empty bucket fails to delete.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Region of the bucket, for `AWS_REGION` in pods.
   * @default - the AWS provider's region
   */
  readonly region?: string;
}

const schema = z.strictObject({
  bucketName,
  prefix: keyPrefix.default('mlflow'),
  kmsKeyArn: z.string().startsWith('arn:', { message: 'must be a KMS key ARN' }).optional(),
  noncurrentVersionExpirationDays: z.number().int().min(1).default(90),
  abortIncompleteMultipartUploadDays: z.number().int().min(1).default(7),
  accessLogs: z.strictObject({ bucketName, prefix: keyPrefix.optional() }).optional(),
  removalPolicy: removalPolicySchema.default('retain'),
  region: awsRegion.optional(),
});

/**
 * An S3 bucket for MLflow artifacts with the controls scanners expect:
 * versioning, SSE-KMS with a customer-managed key and bucket keys, all public
 * access blocked, ACLs disabled (BucketOwnerEnforced), TLS-only bucket policy,
 * lifecycle cleanup, optional access logs, and `prevent_destroy` by default.
 *
 * Pods get credentials from their workload identity (EKS Pod Identity or IRSA);
 * `MLFLOW_S3_ENDPOINT_URL` is deliberately not set for real S3.
 */
export class S3ArtifactStore extends S3ArtifactStoreBase {
  /** Uses an existing bucket (its configuration is left as it is). */
  public static fromBucketName(scope: Construct, id: string, props: ImportedS3ArtifactStoreProps): S3ArtifactStoreBase {
    return new ImportedS3ArtifactStore(scope, id, props);
  }

  public readonly bucketName: string;
  public readonly bucketArn: string;
  public readonly kmsKeyArn: string;
  public readonly region: string;
  public readonly prefix: string;
  /** The underlying bucket and its configuration resources. */
  public readonly bucket: S3Bucket;
  public readonly encryptionKey?: EncryptionKey;
  public readonly versioning: S3BucketVersioningA;
  public readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  public readonly publicAccessBlock: S3BucketPublicAccessBlock;
  public readonly ownershipControls: S3BucketOwnershipControls;
  public readonly bucketPolicy: S3BucketPolicy;
  public readonly lifecycle: S3BucketLifecycleConfiguration;
  public readonly logging?: S3BucketLoggingA;

  constructor(scope: Construct, id: string, props: S3ArtifactStoreProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const removal = p.removalPolicy as RemovalPolicy;
    this.prefix = p.prefix.replace(/\/+$/, '');
    this.region = p.region ?? awsContext(this).region;

    // Construct ids `Resource` and `EncryptionKey` are a public contract (pinned by tests).
    this.bucket = new S3Bucket(this, 'Resource', { bucket: p.bucketName, forceDestroy: false });
    applyRemovalPolicy(removal, this.bucket);
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;

    if (p.kmsKeyArn) {
      this.kmsKeyArn = p.kmsKeyArn;
    } else {
      this.encryptionKey = new EncryptionKey(this, 'EncryptionKey', {
        description: `SSE-KMS for MLflow artifacts in s3://${p.bucketName}`,
        // KMS alias names admit no "."; bucket names do (e.g. "my.company.models").
        alias: `mlops/s3/${p.bucketName.replaceAll('.', '-')}`,
        removalPolicy: removal,
      });
      this.kmsKeyArn = this.encryptionKey.keyArn;
    }

    this.versioning = new S3BucketVersioningA(this, 'Versioning', {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    this.encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.kmsKeyArn }, bucketKeyEnabled: true }],
    });
    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    this.ownershipControls = new S3BucketOwnershipControls(this, 'OwnershipControls', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    const tlsOnly = policyDocument(this, 'PolicyDocument', [
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:*'],
        resources: [this.bucketArn, `${this.bucketArn}/*`],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
      {
        sid: 'DenyOutdatedTls',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:*'],
        resources: [this.bucketArn, `${this.bucketArn}/*`],
        condition: [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }],
      },
    ]);
    // After the public access block: S3 rejects concurrent changes to a bucket's policy settings.
    this.bucketPolicy = new S3BucketPolicy(this, 'Policy', {
      bucket: this.bucket.id,
      policy: tlsOnly.json,
      dependsOn: [this.publicAccessBlock],
    });
    this.lifecycle = new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: p.abortIncompleteMultipartUploadDays }],
        },
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: p.noncurrentVersionExpirationDays }],
        },
      ],
      // Lifecycle rules on noncurrent versions need versioning in place first.
      dependsOn: [this.versioning],
    });
    if (p.accessLogs) {
      this.logging = new S3BucketLoggingA(this, 'AccessLogs', {
        bucket: this.bucket.id,
        targetBucket: p.accessLogs.bucketName,
        targetPrefix: p.accessLogs.prefix ?? `${p.bucketName}/`,
      });
    }
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const s3ArtifactStoreSchema = schema;
