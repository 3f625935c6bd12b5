import { Construct } from 'constructs';
import { z } from 'zod';
import { Release } from '@cdktf/provider-helm/lib/release';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { parseProps } from '../core/props';
import { k8sName } from '../core/validators';
import { POD_IDENTITY_TRUST, awsContext, policyDocument } from './aws-context';
import { AwsIrsaIdentity } from './aws-irsa-identity';
import { AwsPodIdentity } from './aws-pod-identity';
import { podIdentityAgent, type PodIdentityAgentMode } from './pod-identity-agent';

/** Properties of an {@link ExternalSecretsOperator}. */
export interface ExternalSecretsOperatorProps {
  /** Name of the EKS cluster. */
  readonly clusterName: string;
  /**
   * How the controller gets its AWS role: through these IRSA settings (the cluster's OIDC provider),
   * or EKS Pod Identity when absent. Pass the platform's `AwsIrsaIdentity` so the operator follows
   * the identity the platform chose.
   * @default - EKS Pod Identity
   */
  readonly irsa?: AwsIrsaIdentity;
  /**
   * With EKS Pod Identity: install the agent add-on (`create`) or rely on the cluster's (`existing`).
   * @default 'create'
   */
  readonly podIdentityAgent?: PodIdentityAgentMode;
  /**
   * Namespace of the operator.
   * @default 'external-secrets'
   */
  readonly namespace?: string;
  /**
   * Version of the `external-secrets` chart from https://charts.external-secrets.io.
   * @default '2.10.0'
   */
  readonly chartVersion?: string;
  /**
   * Prefix of the controller's IAM role name.
   * @default 'mlops-external-secrets-'
   */
  readonly roleNamePrefix?: string;
}

const schema = z.strictObject({
  clusterName: z.string().min(1),
  namespace: k8sName.default('external-secrets'),
  chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { message: 'must be an exact chart version such as "2.10.0"' }).default('2.10.0'),
  roleNamePrefix: z.string().regex(/^[\w+=,.@-]{1,32}$/).default('mlops-external-secrets-'),
  irsa: z.instanceof(AwsIrsaIdentity, { message: 'must be an AwsIrsaIdentity' }).optional(),
  podIdentityAgent: z.enum(['create', 'existing']).default('create'),
});

/** The service account the chart creates for the controller. */
const CONTROLLER_SERVICE_ACCOUNT = 'external-secrets';

/**
 * The External Secrets Operator (pinned chart, CRDs installed by the chart),
 * with an IAM role for its controller that starts with no permissions;
 * {@link grantSecretRead} adds read access to one secret at a time.
 *
 * Namespace editors and admins are not given rights on SecretStores (`rbac.aggregateToEdit` and
 * `rbac.aggregateToAdmin` false; the chart's edit role otherwise aggregates into both):
 * a SecretStore without an auth block uses the controller's role, so only
 * cluster admins and this library may create them.
 */
export class ExternalSecretsOperator extends Construct {
  public readonly release: Release;
  public readonly role: IamRole;
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: ExternalSecretsOperatorProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.namespace = p.namespace;
    const irsa = p.irsa;
    this.role = new IamRole(this, 'Role', {
      namePrefix: p.roleNamePrefix,
      description: `External Secrets Operator controller on EKS cluster ${p.clusterName} (${irsa ? 'IRSA' : 'EKS Pod Identity'})`,
      assumeRolePolicy: policyDocument(this, 'RoleTrust', [
        irsa ? irsa.webIdentityTrust([`system:serviceaccount:${p.namespace}:${CONTROLLER_SERVICE_ACCOUNT}`]) : POD_IDENTITY_TRUST,
      ]).json,
      maxSessionDuration: 3600,
    });
    // With Pod Identity the association (after the agent) must exist before the controller pod starts,
    // or it runs without credentials; with IRSA the service account carries the role.
    const agent = irsa ? undefined : podIdentityAgent(this, p.clusterName, p.podIdentityAgent);
    const association = irsa
      ? undefined
      : new EksPodIdentityAssociation(this, 'PodIdentityAssociation', {
          clusterName: p.clusterName,
          namespace: p.namespace,
          serviceAccount: CONTROLLER_SERVICE_ACCOUNT,
          roleArn: this.role.arn,
          dependsOn: agent ? [agent] : undefined,
        });
    this.release = new Release(this, 'Resource', {
      name: 'external-secrets',
      repository: 'https://charts.external-secrets.io',
      chart: 'external-secrets',
      version: p.chartVersion,
      namespace: p.namespace,
      createNamespace: true,
      wait: true,
      values: [
        JSON.stringify({
          installCRDs: true,
          serviceAccount: {
            create: true,
            name: CONTROLLER_SERVICE_ACCOUNT,
            ...(irsa ? { annotations: { 'eks.amazonaws.com/role-arn': this.role.arn } } : {}),
          },
          rbac: { aggregateToEdit: false, aggregateToAdmin: false },
        }),
      ],
      dependsOn: association ? [association] : undefined,
    });
  }

  /**
   * Lets the controller read one Secrets Manager secret (GetSecretValue, DescribeSecret)
   * and decrypt it with its KMS key (only via Secrets Manager).
   */
  public grantSecretRead(scope: Construct, id: string, secretArn: string, kmsKeyArn?: string): IamRolePolicyAttachment {
    const region = awsContext(this).region;
    const doc = policyDocument(scope, `${id}PolicyDocument`, [
      { sid: 'ReadOneSecret', effect: 'Allow', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [secretArn] },
      ...(kmsKeyArn
        ? [
            {
              sid: 'DecryptViaSecretsManager',
              effect: 'Allow',
              actions: ['kms:Decrypt'],
              resources: [kmsKeyArn],
              condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${region}.amazonaws.com`] }],
            },
          ]
        : []),
    ]);
    const policy = new IamPolicy(scope, `${id}Policy`, {
      namePrefix: 'mlops-read-secret-',
      description: 'External Secrets Operator: read one Secrets Manager secret',
      policy: doc.json,
    });
    return new IamRolePolicyAttachment(scope, `${id}Attachment`, { role: this.role.name, policyArn: policy.arn });
  }

  /**
   * The operator a database installs for itself, getting its role the way the platform's cloud
   * identity does (IRSA, or EKS Pod Identity with the same agent setting).
   */
  public static following(scope: Construct, id: string, clusterName: string, identity?: AwsPodIdentity | AwsIrsaIdentity): ExternalSecretsOperator {
    return new ExternalSecretsOperator(scope, id, {
      clusterName,
      irsa: identity instanceof AwsIrsaIdentity ? identity : undefined,
      podIdentityAgent: identity instanceof AwsPodIdentity ? identity.podIdentityAgent : undefined,
    });
  }
}
