import { Construct } from 'constructs';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { ArtifactAccess, ArtifactBinding, ArtifactBindingRequest, IArtifactStore } from '../stores/artifact-store';
import type { IWorkloadIdentity } from '../core/identity';
import type { EgressTarget } from '../core/network';
import { OBJECT_STORE_CLIENT_LABEL } from '../core/labels';
import { fail } from '../core/errors';
import { policyDocument } from './aws-context';

/** Options of {@link S3ArtifactStoreBase.grantRead} and {@link S3ArtifactStoreBase.grantReadWrite}. */
export interface S3GrantOptions {
  /** Construct id of the grant, unique per store. */
  readonly id: string;
  /**
   * Key prefix inside the store's prefix (e.g. `drift/churn/`).
   * @default - the whole store prefix
   */
  readonly prefix?: string;
}

/**
 * What {@link S3ArtifactStore} and an imported bucket share: the URIs, the
 * least-privilege grants and the pod binding. A grant is a separate
 * `aws_iam_policy` whose document is an `aws_iam_policy_document` data source
 * scoped to the bucket ARN and key prefix (no `s3:*`, no `Resource: "*"`).
 */
export abstract class S3ArtifactStoreBase extends Construct implements IArtifactStore {
  public readonly kind: string = 's3';
  public abstract readonly bucketName: string;
  public abstract readonly bucketArn: string;
  /** The KMS key that encrypts the objects, when it is customer-managed. */
  public abstract readonly kmsKeyArn?: string;
  /** Region of the bucket, for `AWS_REGION` and the `kms:ViaService` condition. */
  public abstract readonly region: string;
  /** Every grant is an IAM policy scoped to its prefix. */
  public readonly scopesPrefixes = true;
  /** Key prefix of the store inside the bucket, without a trailing "/" (e.g. `mlflow`), or "" for the whole bucket. */
  public abstract readonly prefix: string;

  /**
   * HTTPS to S3. NetworkPolicies cannot match DNS names, so this is 0.0.0.0/0 on 443;
   * an S3 gateway VPC endpoint keeps the traffic inside the VPC.
   */
  public get egress(): EgressTarget[] {
    return [{ name: 'object-store', to: [{ cidr: '0.0.0.0/0' }], ports: [{ port: 443 }] }];
  }

  public get artifactsDestination(): string {
    return this.uriOf('');
  }

  public uriOf(path: string): string {
    const key = this.keyOf(path);
    return key ? `s3://${this.bucketName}/${key}` : `s3://${this.bucketName}`;
  }

  /** Grants GetObject(+Version) under the prefix and ListBucket limited to it, plus kms:Decrypt. */
  public grantRead(identity: IWorkloadIdentity, options: S3GrantOptions): IamPolicy {
    return this.grant(identity, 'read', options);
  }

  /** {@link grantRead} plus PutObject, DeleteObject and multipart-upload cleanup, plus kms:GenerateDataKey. */
  public grantReadWrite(identity: IWorkloadIdentity, options: S3GrantOptions): IamPolicy {
    return this.grant(identity, 'readwrite', options);
  }

  public bind(request: ArtifactBindingRequest): ArtifactBinding {
    this.grant(request.identity, request.access, { id: request.grantId, prefix: request.prefix });
    return {
      env: [
        { name: 'AWS_REGION', value: this.region },
        { name: 'AWS_DEFAULT_REGION', value: this.region },
      ],
      volumes: [],
      volumeMounts: [],
      podLabels: { [OBJECT_STORE_CLIENT_LABEL]: 'true' },
    };
  }

  /** S3 is shared by any number of tracking-server pods. */
  public trackingReplicasProblem(_replicas: number): string | undefined {
    return undefined;
  }

  /** The object key of `path` inside the store (no leading "/"). */
  protected keyOf(path: string): string {
    const rel = path.replace(/^\/+/, '');
    if (!this.prefix) return rel;
    return rel ? `${this.prefix}/${rel}` : this.prefix;
  }

  /**
   * The least-privilege policy of {@link grantRead}/{@link grantReadWrite} on a prefix, created in
   * `scope` and attached to nobody, for principals that are not workloads of the platform (a CI role).
   */
  public prefixPolicy(scope: Construct, id: string, options: { readonly access: ArtifactAccess; readonly prefix?: string; readonly grantee: string }): IamPolicy {
    return this.policy(scope, id, options.access, options.prefix ?? '', options.grantee);
  }

  private grant(identity: IWorkloadIdentity, access: ArtifactAccess, options: S3GrantOptions): IamPolicy {
    const policy = this.policy(this, options.id, access, options.prefix ?? '', `${identity.kind} workload ${identity.serviceAccountName}`);
    identity.attachPolicy(options.id, policy.arn);
    return policy;
  }

  private policy(scope: Construct, id: string, access: ArtifactAccess, sub: string, grantee: string): IamPolicy {
    if (/[*?]/.test(sub) || sub.startsWith('/')) {
      fail(this.node.path, 'prefix', `got ${JSON.stringify(sub)}; must be a key prefix without a leading "/" and without "*" or "?"`);
    }
    // Objects under "<store prefix>/<sub>"; the trailing "*" covers everything below it.
    const keyPrefix = this.keyOf(sub).replace(/\/*$/, '');
    const objectPattern = keyPrefix ? `${keyPrefix}/*` : '*';
    const objectActions = ['s3:GetObject', 's3:GetObjectVersion'];
    if (access === 'readwrite') objectActions.push('s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts');
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      { sid: 'Objects', effect: 'Allow', actions: objectActions, resources: [`${this.bucketArn}/${objectPattern}`] },
      {
        sid: 'ListPrefix',
        effect: 'Allow',
        actions: ['s3:ListBucket'],
        resources: [this.bucketArn],
        condition: keyPrefix ? [{ test: 'StringLike', variable: 's3:prefix', values: [objectPattern] }] : undefined,
      },
    ];
    if (this.kmsKeyArn) {
      statements.push({
        sid: 'KeyViaS3',
        effect: 'Allow',
        actions: access === 'readwrite' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [this.kmsKeyArn],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${this.region}.amazonaws.com`] }],
      });
    }
    const doc = policyDocument(scope, `${id}PolicyDocument`, statements);
    return new IamPolicy(scope, `${id}Policy`, {
      namePrefix: 'mlops-artifacts-',
      description: `${access} on s3://${this.bucketName}/${objectPattern} for ${grantee}`,
      policy: doc.json,
    });
  }
}
