import { Construct } from 'constructs';
import { z } from 'zod';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { DataAwsEksCluster } from '@cdktf/provider-aws/lib/data-aws-eks-cluster';
import { DataAwsEksClusterAuth } from '@cdktf/provider-aws/lib/data-aws-eks-cluster-auth';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import type { IClusterConnection } from '../cluster/cluster-connection';
import { parseProps } from '../core/props';
import { Fn } from '../core/cdktf';

/** How the kubernetes and helm providers authenticate to the cluster. */
export type EksAuthentication =
  /** `aws eks get-token` run by the providers for every connection: never expires during an apply. */
  | 'exec'
  /** A token read by `aws_eks_cluster_auth` at plan time: valid about 15 minutes, so long applies fail. */
  | 'token';

/** Properties of an {@link EksClusterConnection}. */
export interface EksClusterConnectionProps {
  /** Name of an existing EKS cluster in the AWS provider's account and region. */
  readonly clusterName: string;
  /**
   * How the providers authenticate. `exec` runs `aws eks get-token` (the AWS CLI v2 must be on the
   * machine that runs Terraform) whenever they connect, so an apply that waits on a Multi-AZ RDS
   * create and rollouts keeps working; `token` needs no CLI but its token expires after ~15 minutes.
   * @default 'exec'
   */
  readonly authentication?: EksAuthentication;
  /**
   * The AWS CLI profile `aws eks get-token` uses (exec authentication only).
   * @default - the CLI's default credential chain (env, SSO, instance role)
   */
  readonly awsProfile?: string;
  /**
   * An IAM role `aws eks get-token` assumes first (exec authentication only).
   * @default - the caller's own identity
   */
  readonly assumeRoleArn?: string;
}

const schema = z.strictObject({
  clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, {
    message: 'must be an EKS cluster name: 1-100 letters, digits, "-" and "_", starting with a letter or digit',
  }),
  authentication: z.enum(['exec', 'token']).default('exec'),
  awsProfile: z.string().regex(/^[A-Za-z0-9_.+=@-]{1,64}$/, { message: 'must be an AWS CLI profile name (letters, digits, and _ . + = @ -)' }).optional(),
  assumeRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, { message: 'must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)' }).optional(),
});

/** The exec plugin of client-go that the kubernetes and helm providers run for a token. */
interface ExecAuth {
  readonly apiVersion: string;
  readonly command: string;
  readonly args: string[];
}

/**
 * Connects the kubernetes and helm providers to an existing EKS cluster by
 * name: endpoint and CA from `aws_eks_cluster`, and by default a fresh token
 * from `aws eks get-token` each time a provider connects (see
 * {@link EksClusterConnectionProps.authentication}).
 */
export class EksClusterConnection extends Construct implements IClusterConnection {
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly helmProvider: HelmProvider;
  public readonly clusterName: string;
  public readonly endpoint: string;
  /** The EKS-managed cluster security group, attached to managed nodes and (by default) pods. */
  public readonly clusterSecurityGroupId: string;
  public readonly vpcId: string;
  /** The OIDC issuer URL, for IRSA. */
  public readonly oidcIssuerUrl: string;
  /** The underlying data sources. */
  public readonly cluster: DataAwsEksCluster;
  /** The plan-time token data source, with `authentication: 'token'` only. */
  public readonly auth?: DataAwsEksClusterAuth;

  constructor(scope: Construct, id: string, props: EksClusterConnectionProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.cluster = new DataAwsEksCluster(this, 'Cluster', { name: p.clusterName });
    this.clusterName = p.clusterName;
    this.endpoint = this.cluster.endpoint;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.get(0).clusterSecurityGroupId;
    this.vpcId = this.cluster.vpcConfig.get(0).vpcId;
    this.oidcIssuerUrl = this.cluster.identity.get(0).oidc.get(0).issuer;
    const clusterCaCertificate = Fn.base64decode(this.cluster.certificateAuthority.get(0).data);
    let exec: ExecAuth | undefined;
    let token: string | undefined;
    if (p.authentication === 'token') {
      this.auth = new DataAwsEksClusterAuth(this, 'Auth', { name: p.clusterName });
      token = this.auth.token;
    } else {
      // The cluster's region, so the CLI asks the right endpoint whatever its own default region is.
      const region = new DataAwsRegion(this, 'Region', {});
      exec = {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'aws',
        args: [
          'eks', 'get-token', '--cluster-name', p.clusterName, '--region', region.region, '--output', 'json',
          ...(p.awsProfile ? ['--profile', p.awsProfile] : []),
          ...(p.assumeRoleArn ? ['--role-arn', p.assumeRoleArn] : []),
        ],
      };
    }
    // The same credentials for both; the kubernetes provider's `exec` is a block list, helm's an object.
    this.kubernetesProvider = new KubernetesProvider(this, 'Kubernetes', { host: this.endpoint, clusterCaCertificate, token, exec: exec && [exec] });
    this.helmProvider = new HelmProvider(this, 'Helm', { kubernetes: { host: this.endpoint, clusterCaCertificate, token, exec } });
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const eksClusterConnectionSchema = schema;
