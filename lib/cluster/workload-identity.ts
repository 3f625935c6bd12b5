import { Construct } from 'constructs';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import type { ICloudIdentity, IWorkloadIdentity, WorkloadKind } from '../core/identity';
import { z } from 'zod';
import { TerraformResource, Token } from '../core/cdktf';
import { parseProps } from '../core/props';
import { contracts, k8sName, labelsSchema } from '../core/validators';

/** Properties of a {@link WorkloadIdentity}. */
export interface WorkloadIdentityProps {
  readonly namespace: string;
  /** Service account name. */
  readonly name: string;
  readonly kind: WorkloadKind;
  /** Labels of the ServiceAccount. */
  readonly labels?: Record<string, string>;
  /**
   * Cloud identity mapping (EKS Pod Identity, IRSA).
   * @default - no cloud role: the workload has only its Kubernetes identity
   */
  readonly cloud?: ICloudIdentity;
}

const nameOrToken = z.union([z.string().refine((v) => Token.isUnresolved(v)), k8sName], { message: 'must be an RFC 1123 label such as "mlops" (or a token resolving to one)' });
const schema = z.strictObject({
  namespace: nameOrToken,
  name: nameOrToken,
  kind: z.enum(['tracking', 'training', 'serving', 'drift']),
  labels: labelsSchema.optional(),
  cloud: contracts.cloudIdentity().optional(),
});

/**
 * A dedicated ServiceAccount for one workload, linked to its kind's cloud role
 * when the platform has a cloud identity. Tokens are not automounted; pods that
 * call the Kubernetes API opt in on the pod.
 */
export class WorkloadIdentity extends Construct implements IWorkloadIdentity {
  public readonly kind: WorkloadKind;
  public readonly namespace: string;
  public readonly serviceAccountName: string;
  /** The underlying ServiceAccount. */
  public readonly serviceAccount: ServiceAccountV1;
  private readonly cloud?: ICloudIdentity;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    parseProps(schema, props, this);
    this.kind = props.kind;
    this.namespace = props.namespace;
    this.cloud = props.cloud;
    const annotations = props.cloud?.associate(this, props.kind, props.namespace, props.name) ?? {};
    // What the cloud identity created for this account (an EKS Pod Identity association) must exist
    // before any pod runs as it: credentials are injected only when a pod is created.
    const links = this.node.children.filter((c): c is TerraformResource => c instanceof TerraformResource);
    this.serviceAccount = new ServiceAccountV1(this, 'Resource', {
      dependsOn: links.length > 0 ? links : undefined,
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels,
        annotations: Object.keys(annotations).length ? annotations : undefined,
      },
      automountServiceAccountToken: false,
    });
    this.serviceAccountName = this.serviceAccount.metadata.name;
  }

  public attachPolicy(id: string, policyArn: string): void {
    this.cloud?.attachPolicy(this, id, this.kind, policyArn);
  }
}
