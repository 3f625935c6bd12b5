import { Construct } from 'constructs';
import { z } from 'zod';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import type { ICloudIdentity, WorkloadKind } from '../core/identity';
import type { EgressTarget } from '../core/network';
import { parseProps } from '../core/props';
import { POD_IDENTITY_TRUST, policyDocument } from './aws-context';
import { podIdentityAgent, type PodIdentityAgentMode } from './pod-identity-agent';

/** Properties of an {@link AwsPodIdentity}. */
export interface AwsPodIdentityProps {
  /** Name of the EKS cluster (with the EKS Pod Identity Agent add-on installed). */
  readonly clusterName: string;
  /**
   * Prefix of the generated IAM role names (a kind and a random suffix are appended).
   * @default 'mlops-'
   */
  readonly roleNamePrefix?: string;
  /**
   * Permissions boundary set on every role.
   * @default - none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * The EKS Pod Identity Agent add-on, without which no association hands out credentials: `create`
   * installs it; `existing` when the cluster already has it (creating it again fails).
   * @default 'create'
   */
  readonly podIdentityAgent?: PodIdentityAgentMode;
}

const schema = z.strictObject({
  clusterName: z.string().min(1),
  roleNamePrefix: z.string().regex(/^[\w+=,.@-]{1,20}$/, { message: 'must be 1-20 characters of letters, digits and +=,.@_-' }).default('mlops-'),
  permissionsBoundaryArn: z.string().startsWith('arn:').optional(),
  podIdentityAgent: z.enum(['create', 'existing']).default('create'),
});

const ROLE_IDS: Record<WorkloadKind, string> = { tracking: 'TrackingRole', training: 'TrainingRole', serving: 'ServingRole', drift: 'DriftRole' };

/**
 * EKS Pod Identity: one IAM role per workload kind (created when the first
 * workload of the kind asks), trusted by `pods.eks.amazonaws.com`, and an
 * `aws_eks_pod_identity_association` per service account. Roles start with no
 * permissions; stores attach least-privilege policies through `attachPolicy`.
 */
export class AwsPodIdentity extends Construct implements ICloudIdentity {
  /**
   * The pod identity agent on every node: 169.254.170.23 (IPv4) and fd00:ec2::23 (IPv6), port 80.
   * Credentials are then used against AWS APIs over 443 (the stores' own egress).
   */
  public readonly credentialEgress: EgressTarget[] = [
    { name: 'pod-identity-agent', to: [{ cidr: '169.254.170.23/32' }, { cidr: 'fd00:ec2::23/128' }], ports: [{ port: 80 }] },
  ];
  public readonly clusterName: string;
  /** Whether this stack installs the agent add-on or relies on the cluster's. */
  public readonly podIdentityAgent: PodIdentityAgentMode;
  private readonly roles = new Map<WorkloadKind, IamRole>();
  private readonly p: z.output<typeof schema>;

  constructor(scope: Construct, id: string, props: AwsPodIdentityProps) {
    super(scope, id);
    this.p = parseProps(schema, props, this);
    this.clusterName = this.p.clusterName;
    this.podIdentityAgent = this.p.podIdentityAgent;
  }

  /** The role of a workload kind, created on first use. */
  public roleFor(kind: WorkloadKind): IamRole {
    let role = this.roles.get(kind);
    if (!role) {
      const trust = policyDocument(this, `${ROLE_IDS[kind]}Trust`, [POD_IDENTITY_TRUST]);
      role = new IamRole(this, ROLE_IDS[kind], {
        namePrefix: `${this.p.roleNamePrefix}${kind}-`,
        description: `cdktf-mlops ${kind} workloads on EKS cluster ${this.p.clusterName} (EKS Pod Identity)`,
        assumeRolePolicy: trust.json,
        permissionsBoundary: this.p.permissionsBoundaryArn,
        maxSessionDuration: 3600,
      });
      this.roles.set(kind, role);
    }
    return role;
  }

  public associate(scope: Construct, kind: WorkloadKind, namespace: string, serviceAccountName: string): Record<string, string> {
    const agent = podIdentityAgent(this, this.p.clusterName, this.p.podIdentityAgent);
    new EksPodIdentityAssociation(scope, 'PodIdentityAssociation', {
      clusterName: this.p.clusterName,
      namespace,
      serviceAccount: serviceAccountName,
      roleArn: this.roleFor(kind).arn,
      dependsOn: agent ? [agent] : undefined,
    });
    return {};
  }

  public attachPolicy(scope: Construct, id: string, kind: WorkloadKind, policyArn: string): void {
    new IamRolePolicyAttachment(scope, `${id}Attachment`, { role: this.roleFor(kind).name, policyArn });
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const awsPodIdentitySchema = schema;
