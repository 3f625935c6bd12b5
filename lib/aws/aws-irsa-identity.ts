import { Construct } from 'constructs';
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { z } from 'zod';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { ICloudIdentity, WorkloadKind } from '../core/identity';
import type { EgressTarget } from '../core/network';
import { parseProps } from '../core/props';
import { Fn, Token } from '../core/cdktf';
import { oidcIssuer } from '../core/validators';
import { awsContext, policyDocument } from './aws-context';
import { lazyLiteralList } from '../core/literal';

/** Properties of an {@link AwsIrsaIdentity}. */
export interface AwsIrsaIdentityProps {
  /** The cluster's OIDC issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/<id>`), e.g. `EksClusterConnection.oidcIssuerUrl`. */
  readonly oidcIssuerUrl: string;
  /**
   * ARN of the IAM OIDC identity provider registered for the issuer.
   * @default - `arn:<partition>:iam::<account>:oidc-provider/<issuer without https://>`
   */
  readonly oidcProviderArn?: string;
  /**
   * Prefix of the generated IAM role names.
   * @default 'mlops-'
   */
  readonly roleNamePrefix?: string;
  /**
   * Permissions boundary set on every role.
   * @default - none
   */
  readonly permissionsBoundaryArn?: string;
}

const schema = z.strictObject({
  oidcIssuerUrl: z.union([z.string().refine((v) => Token.isUnresolved(v)), oidcIssuer], { message: 'must be an https OIDC issuer URL such as "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" (or a token resolving to one)' }),
  oidcProviderArn: z.string().startsWith('arn:').optional(),
  roleNamePrefix: z.string().regex(/^[\w+=,.@-]{1,20}$/, { message: 'must be 1-20 characters of letters, digits and +=,.@_-' }).default('mlops-'),
  permissionsBoundaryArn: z.string().startsWith('arn:').optional(),
});

const ROLE_IDS: Record<WorkloadKind, string> = { tracking: 'TrackingRole', training: 'TrainingRole', serving: 'ServingRole', drift: 'DriftRole' };

/**
 * IAM Roles for Service Accounts: one role per workload kind whose trust
 * policy admits exactly the service accounts registered for that kind
 * (`StringEquals` on `<issuer>:sub`, resolved at synth so later service accounts
 * are included) and only the `sts.amazonaws.com` audience.
 */
export class AwsIrsaIdentity extends Construct implements ICloudIdentity {
  /** STS (AssumeRoleWithWebIdentity) over HTTPS; NetworkPolicies cannot match DNS names. */
  public readonly credentialEgress: EgressTarget[] = [{ name: 'sts', to: [{ cidr: '0.0.0.0/0' }], ports: [{ port: 443 }] }];
  private readonly roles = new Map<WorkloadKind, IamRole>();
  private readonly subjects = new Map<WorkloadKind, string[]>();
  private readonly p: z.output<typeof schema>;
  private readonly issuerHost: string;
  private readonly providerArn: string;

  constructor(scope: Construct, id: string, props: AwsIrsaIdentityProps) {
    super(scope, id);
    this.p = parseProps(schema, props, this);
    this.issuerHost = Fn.replace(this.p.oidcIssuerUrl, 'https://', '');
    this.providerArn =
      this.p.oidcProviderArn ?? `arn:${awsContext(this).partition}:iam::${awsContext(this).accountId}:oidc-provider/${this.issuerHost}`;
  }

  /**
   * A trust statement that lets exactly these service accounts (`system:serviceaccount:<ns>:<name>`)
   * assume a role through the cluster's OIDC provider, for roles outside the workload kinds
   * (the External Secrets Operator's controller).
   */
  public webIdentityTrust(subjects: string[]): DataAwsIamPolicyDocumentStatement {
    return {
      sid: 'IrsaServiceAccounts',
      effect: 'Allow',
      actions: ['sts:AssumeRoleWithWebIdentity'],
      principals: [{ type: 'Federated', identifiers: [this.providerArn] }],
      condition: [
        { test: 'StringEquals', variable: `${this.issuerHost}:sub`, values: subjects },
        { test: 'StringEquals', variable: `${this.issuerHost}:aud`, values: ['sts.amazonaws.com'] },
      ],
    };
  }

  /** The role of a workload kind, created on first use. */
  public roleFor(kind: WorkloadKind): IamRole {
    let role = this.roles.get(kind);
    if (!role) {
      const subjects: string[] = [];
      this.subjects.set(kind, subjects);
      // Lazy: service accounts registered after the role was created are still in its trust.
      const trust = policyDocument(this, `${ROLE_IDS[kind]}Trust`, [this.webIdentityTrust(lazyLiteralList(() => [...subjects]))]);
      role = new IamRole(this, ROLE_IDS[kind], {
        namePrefix: `${this.p.roleNamePrefix}${kind}-`,
        description: `cdktf-mlops ${kind} workloads (IRSA)`,
        assumeRolePolicy: trust.json,
        permissionsBoundary: this.p.permissionsBoundaryArn,
        maxSessionDuration: 3600,
      });
      this.roles.set(kind, role);
    }
    return role;
  }

  public associate(_scope: Construct, kind: WorkloadKind, namespace: string, serviceAccountName: string): Record<string, string> {
    const role = this.roleFor(kind);
    this.subjects.get(kind)!.push(`system:serviceaccount:${namespace}:${serviceAccountName}`);
    return { 'eks.amazonaws.com/role-arn': role.arn };
  }

  public attachPolicy(scope: Construct, id: string, kind: WorkloadKind, policyArn: string): void {
    new IamRolePolicyAttachment(scope, `${id}Attachment`, { role: this.roleFor(kind).name, policyArn });
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const awsIrsaIdentitySchema = schema;
