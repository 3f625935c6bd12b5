import { Construct } from 'constructs';
import { z } from 'zod';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { DataAwsEksCluster } from '@cdktf/provider-aws/lib/data-aws-eks-cluster';
import { DataAwsEksClusterAuth } from '@cdktf/provider-aws/lib/data-aws-eks-cluster-auth';
import type { IClusterConnection } from '../cluster/cluster-connection';
import { parseProps } from '../core/props';
import { Fn } from '../core/cdktf';

/** Properties of an {@link EksClusterConnection}. */
export interface EksClusterConnectionProps {
  /** Name of an existing EKS cluster in the AWS provider's account and region. */
  readonly clusterName: string;
}

const schema = z.strictObject({
  clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, {
    message: 'must be an EKS cluster name: 1-100 letters, digits, "-" and "_", starting with a letter or digit',
  }),
});

/**
 * Connects the kubernetes and helm providers to an existing EKS cluster by
 * name: endpoint and CA from `aws_eks_cluster`, a short-lived token from
 * `aws_eks_cluster_auth` (read at plan time; valid 15 minutes, so very long
 * applies should use a kubeconfig with `aws eks get-token` instead).
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
  public readonly auth: DataAwsEksClusterAuth;

  constructor(scope: Construct, id: string, props: EksClusterConnectionProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.cluster = new DataAwsEksCluster(this, 'Cluster', { name: p.clusterName });
    this.auth = new DataAwsEksClusterAuth(this, 'Auth', { name: p.clusterName });
    this.clusterName = p.clusterName;
    this.endpoint = this.cluster.endpoint;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.get(0).clusterSecurityGroupId;
    this.vpcId = this.cluster.vpcConfig.get(0).vpcId;
    this.oidcIssuerUrl = this.cluster.identity.get(0).oidc.get(0).issuer;
    const clusterCaCertificate = Fn.base64decode(this.cluster.certificateAuthority.get(0).data);
    this.kubernetesProvider = new KubernetesProvider(this, 'Kubernetes', {
      host: this.endpoint,
      clusterCaCertificate,
      token: this.auth.token,
    });
    this.helmProvider = new HelmProvider(this, 'Helm', {
      kubernetes: { host: this.endpoint, clusterCaCertificate, token: this.auth.token },
    });
  }
}
