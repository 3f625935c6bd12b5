import { Construct } from 'constructs';
import { z } from 'zod';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { parseProps } from '../core/props';
import { k8sName } from '../core/validators';
import { POD_IDENTITY_TRUST, awsContext, policyDocument } from './aws-context';
import { podIdentityAgent, type PodIdentityAgentMode } from './pod-identity-agent';

/** Properties of an {@link EbsStorageClass}. */
export interface EbsStorageClassProps {
  /** Name of the EKS cluster. */
  readonly clusterName: string;
  /**
   * Name of the StorageClass.
   * @default 'gp3'
   */
  readonly name?: string;
  /**
   * The `aws-ebs-csi-driver` add-on that provisions the volumes: `create` installs it with its own
   * role (EKS Pod Identity, the AWS-managed `AmazonEBSCSIDriverPolicy`); `existing` when the cluster has it.
   * @default 'create'
   */
  readonly ebsCsiDriver?: 'create' | 'existing';
  /**
   * With `ebsCsiDriver: 'create'`: install the Pod Identity Agent add-on or rely on the cluster's.
   * @default 'create'
   */
  readonly podIdentityAgent?: PodIdentityAgentMode;
  /**
   * A customer-managed KMS key for the volumes.
   * @default - the account's default EBS key (aws/ebs)
   */
  readonly kmsKeyArn?: string;
  /**
   * What happens to a volume when its claim is deleted. `Retain` keeps the data (Postgres, artifacts,
   * Prometheus) until someone deletes the EBS volume on purpose.
   * @default 'Retain'
   */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

const schema = z.strictObject({
  clusterName: z.string().min(1),
  name: k8sName.default('gp3'),
  ebsCsiDriver: z.enum(['create', 'existing']).default('create'),
  podIdentityAgent: z.enum(['create', 'existing']).default('create'),
  kmsKeyArn: z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, { message: 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)' }).optional(),
  reclaimPolicy: z.enum(['Retain', 'Delete']).default('Retain'),
});

const CONTROLLER_SERVICE_ACCOUNT = 'ebs-csi-controller-sa';

/**
 * An encrypted gp3 StorageClass provisioned by the EBS CSI driver, and the driver itself. New EKS
 * clusters (1.30+) have no default StorageClass, so without one every PVC of the platform stays
 * Pending: give `storageClassName` of this construct to `MlopsPlatform`.
 */
export class EbsStorageClass extends Construct {
  /** The StorageClass name (a reference, so claims are created after the class). */
  public readonly storageClassName: string;
  /** The underlying StorageClass. */
  public readonly storageClass: StorageClassV1;
  /** The EBS CSI driver add-on, when created here. */
  public readonly driver?: EksAddon;

  constructor(scope: Construct, id: string, props: EbsStorageClassProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    if (p.ebsCsiDriver === 'create') {
      const role = new IamRole(this, 'DriverRole', {
        namePrefix: 'mlops-ebs-csi-',
        description: `EBS CSI driver on EKS cluster ${p.clusterName} (EKS Pod Identity)`,
        assumeRolePolicy: policyDocument(this, 'DriverRoleTrust', [POD_IDENTITY_TRUST]).json,
        maxSessionDuration: 3600,
      });
      const policy = new IamRolePolicyAttachment(this, 'DriverPolicy', {
        role: role.name,
        policyArn: `arn:${awsContext(this).partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy`,
      });
      const agent = podIdentityAgent(this, p.clusterName, p.podIdentityAgent);
      this.driver = new EksAddon(this, 'Driver', {
        clusterName: p.clusterName,
        addonName: 'aws-ebs-csi-driver',
        podIdentityAssociation: [{ roleArn: role.arn, serviceAccount: CONTROLLER_SERVICE_ACCOUNT }],
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'PRESERVE',
        dependsOn: [policy, ...(agent ? [agent] : [])],
      });
    }
    this.storageClass = new StorageClassV1(this, 'Resource', {
      metadata: { name: p.name, labels: { 'app.kubernetes.io/managed-by': 'cdktf-mlops' } },
      storageProvisioner: 'ebs.csi.aws.com',
      // Bound where the pod is scheduled, so a volume and its pod share an availability zone.
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: p.reclaimPolicy,
      parameters: { type: 'gp3', encrypted: 'true', ...(p.kmsKeyArn ? { kmsKeyId: p.kmsKeyArn } : {}) },
      dependsOn: this.driver ? [this.driver] : undefined,
    });
    this.storageClassName = this.storageClass.metadata.name;
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const ebsStorageClassSchema = schema;
