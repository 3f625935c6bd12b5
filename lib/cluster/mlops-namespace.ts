import { Construct } from 'constructs';
import { z } from 'zod';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1, type NetworkPolicyV1SpecIngressFrom } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { parseProps } from '../core/props';
import { k8sName, labelsSchema } from '../core/validators';
import { standardLabels } from '../core/labels';
import type { LabelSelector } from '../core/pod-spec';
import { SHARED_EGRESS_LABEL_PREFIX, type EgressRule, type EgressTarget, type INamespace, type IngressRule, type NetworkPeer, type NetworkPort, type SharedEgress } from '../core/network';
import { applyRemovalPolicy, removalPolicySchema, type RemovalPolicy } from '../core/removal';

export type { IngressRule, EgressRule } from '../core/network';

/** Properties of an {@link MlopsNamespace}. */
export interface MlopsNamespaceProps {
  /** Name of the namespace. */
  readonly name: string;
  /**
   * Create the namespace. Set false to use one that already exists.
   * @default true
   */
  readonly create?: boolean;
  /**
   * Deny all ingress and egress of pods in the namespace unless a rule allows it.
   * @default true
   */
  readonly defaultDeny?: boolean;
  /**
   * Pod Security Standard enforced on the namespace.
   * @default 'restricted'
   */
  readonly podSecurity?: 'restricted' | 'baseline' | 'privileged';
  /**
   * Namespace and pod labels of the cluster DNS, which every pod may reach on port 53.
   * @default { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } }
   */
  readonly dns?: { readonly namespace: string; readonly podLabels: Record<string, string> };
  /**
   * Whether the namespace (and everything in it, including volumes) survives a destroy.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Extra labels on the namespace. */
  readonly labels?: Record<string, string>;
}

const schema = z.strictObject({
  name: k8sName,
  create: z.boolean().default(true),
  defaultDeny: z.boolean().default(true),
  podSecurity: z.enum(['restricted', 'baseline', 'privileged']).default('restricted'),
  dns: z
    .strictObject({ namespace: k8sName, podLabels: labelsSchema })
    .default({ namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } }),
  removalPolicy: removalPolicySchema.default('retain'),
  labels: labelsSchema.default({}),
});

/**
 * A namespace with a default-deny NetworkPolicy for ingress and egress, DNS
 * allowed, and methods for the narrow allows each component needs.
 */
export class MlopsNamespace extends Construct implements INamespace {
  /**
   * The namespace name as a reference to the namespace resource: use it in the
   * metadata of objects in the namespace, so Terraform creates the namespace first.
   */
  public readonly name: string;
  /** The namespace name as plain text, for URIs, host names and labels. */
  public readonly literalName: string;
  /** The namespace resource, when created here. */
  public readonly resource?: NamespaceV1;
  /** The Pod Security level the namespace enforces; workloads are checked against it at construct time. */
  public readonly podSecurity: 'restricted' | 'baseline' | 'privileged';
  /** The default-deny policy, when enabled. */
  public readonly defaultDenyPolicy?: NetworkPolicyV1;
  /** Shared egress policies by key (see {@link sharedEgress} and {@link sharedEgressFrom}). */
  private readonly egressPolicies = new Map<string, { signature: string; policy: NetworkPolicyV1 }>();

  constructor(scope: Construct, id: string, props: MlopsNamespaceProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.literalName = p.name;
    this.podSecurity = p.podSecurity;
    if (p.create) {
      this.resource = new NamespaceV1(this, 'Resource', {
        metadata: {
          name: p.name,
          labels: {
            ...standardLabels({ name: 'mlops', instance: p.name, component: 'namespace' }),
            'pod-security.kubernetes.io/enforce': p.podSecurity,
            'pod-security.kubernetes.io/enforce-version': 'latest',
            ...p.labels,
          },
        },
      });
      applyRemovalPolicy(p.removalPolicy as RemovalPolicy, this.resource);
      this.name = this.resource.metadata.name;
    } else {
      this.name = p.name;
    }
    if (p.defaultDeny) {
      this.defaultDenyPolicy = new NetworkPolicyV1(this, 'DefaultDeny', {
        metadata: { name: 'default-deny', namespace: this.name, labels: policyLabels('default-deny') },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
      new NetworkPolicyV1(this, 'AllowDns', {
        metadata: { name: 'allow-dns', namespace: this.name, labels: policyLabels('allow-dns') },
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.dns.namespace } },
                  podSelector: { matchLabels: p.dns.podLabels },
                },
              ],
              ports: [
                { port: '53', protocol: 'UDP' },
                { port: '53', protocol: 'TCP' },
              ],
            },
          ],
        },
      });
    }
  }

  /**
   * Lets the pods with `rule.podLabels` receive traffic from the peers on the
   * ports. The policy is created under `scope`, the construct that needs it.
   */
  public allowIngress(scope: Construct, id: string, rule: IngressRule): NetworkPolicyV1 {
    return new NetworkPolicyV1(scope, id, {
      metadata: { name: rule.name, namespace: this.name, labels: policyLabels(rule.name) },
      spec: {
        podSelector: { matchLabels: rule.podLabels },
        policyTypes: ['Ingress'],
        ingress: [{ from: rule.from.map(peerOf), ports: rule.ports.map(portOf) }],
      },
    });
  }

  /**
   * Pod labels that let a pod reach `targets`. Each target gets one policy in this namespace, selecting
   * the pods that carry its label (`egress.mlops.cdktf.io/<target>: allow`), however many workloads
   * use it: a thousand drift monitors pushing to the Pushgateway share one policy, not a thousand.
   * A target of the same name with other peers or ports gets a policy (and label) of its own.
   */
  public sharedEgress(targets: readonly EgressTarget[]): SharedEgress {
    const podLabels: Record<string, string> = {};
    const policies: NetworkPolicyV1[] = [];
    for (const target of targets) {
      const signature = JSON.stringify({ to: target.to, ports: target.ports });
      const { key, policy } = this.sharedPolicy('', target.name, signature, (k) =>
        this.allowEgress(this, `Egress-${k}`, { name: `allow-${k}-egress`, podLabels: { [SHARED_EGRESS_LABEL_PREFIX + k]: 'allow' }, to: target.to, ports: target.ports }));
      podLabels[SHARED_EGRESS_LABEL_PREFIX + key] = 'allow';
      policies.push(policy);
    }
    return { podLabels, policies };
  }

  /**
   * The policy that lets every pod carrying the label `labelKey` (any value) reach `target`, created by
   * the first workload that asks: a thousand models' clients share one, not a thousand. A target of the
   * same name with other peers or ports gets a policy of its own.
   */
  public sharedEgressFrom(labelKey: string, target: EgressTarget): NetworkPolicyV1 {
    const signature = JSON.stringify({ labelKey, to: target.to, ports: target.ports });
    return this.sharedPolicy('from:', target.name, signature, (k) =>
      this.egressPolicy(this, `EgressFrom-${k}`, `allow-${k}-egress`, { matchExpressions: [{ key: labelKey, operator: 'Exists' }] }, target)).policy;
  }

  /**
   * The namespace's shared policy for `name` among those of `kind`, created by `create` the first time: a
   * later request under the same name with another signature gets a key (and policy) of its own.
   */
  private sharedPolicy(kind: string, name: string, signature: string, create: (key: string) => NetworkPolicyV1): { key: string; policy: NetworkPolicyV1 } {
    const first = this.egressPolicies.get(kind + name);
    const key = !first || first.signature === signature ? name : `${name.slice(0, 54)}-${hash(signature)}`;
    let entry = this.egressPolicies.get(kind + key);
    if (!entry) this.egressPolicies.set(kind + key, (entry = { signature, policy: create(key) }));
    return { key, policy: entry.policy };
  }

  /**
   * Lets the pods with `rule.podLabels` send traffic to the peers on the ports.
   * The policy is created under `scope`, the construct that needs it.
   */
  public allowEgress(scope: Construct, id: string, rule: EgressRule): NetworkPolicyV1 {
    return this.egressPolicy(scope, id, rule.name, { matchLabels: rule.podLabels }, rule);
  }

  /** An egress policy of this namespace for the pods `podSelector` selects. */
  private egressPolicy(scope: Construct, id: string, name: string, podSelector: LabelSelector, peers: Pick<EgressRule, 'to' | 'ports'>): NetworkPolicyV1 {
    return new NetworkPolicyV1(scope, id, {
      metadata: { name, namespace: this.name, labels: policyLabels(name) },
      spec: {
        podSelector,
        policyTypes: ['Egress'],
        egress: [{ to: peers.to.map(peerOf), ports: peers.ports.map(portOf) }],
      },
    });
  }
}

/**
 * One egress policy per target (database, object store, credentials, ...), named
 * `<prefix>-<target>-egress`, with construct ids `AllowEgress<i>` under `scope`.
 * Target names must be unique, since they name the policies.
 */
export function allowEgressTargets(
  namespace: INamespace,
  scope: Construct,
  prefix: string,
  podLabels: Record<string, string>,
  targets: readonly EgressTarget[],
): NetworkPolicyV1[] {
  const names = targets.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`${scope.node.path}: two egress targets are named ${JSON.stringify(dup)}; names must be unique`);
  return targets.map((target, i) =>
    namespace.allowEgress(scope, `AllowEgress${i}`, { name: `${prefix}-${target.name}-egress`, podLabels, to: target.to, ports: target.ports }),
  );
}

/**
 * Opens `targets` for a workload's pods: through the namespace's shared policies when it has them
 * (the pod template must carry the returned labels), else through policies of the workload's own that
 * select `podLabels` (see {@link allowEgressTargets}; no labels to add then).
 */
export function openEgress(
  namespace: INamespace,
  scope: Construct,
  prefix: string,
  podLabels: Record<string, string>,
  targets: readonly EgressTarget[],
): SharedEgress {
  return namespace.sharedEgress?.(targets) ?? { podLabels: {}, policies: allowEgressTargets(namespace, scope, prefix, podLabels, targets) };
}

/** Eight hex digits of a string, to tell policies of the same target name apart. */
function hash(s: string): string {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function policyLabels(name: string): Record<string, string> {
  return standardLabels({ name: 'network-policy', instance: name, component: 'network' });
}

function peerOf(peer: NetworkPeer): NetworkPolicyV1SpecIngressFrom {
  if (peer.cidr) return { ipBlock: { cidr: peer.cidr, except: peer.except } };
  return {
    namespaceSelector: peer.namespace ? { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } : undefined,
    podSelector: peer.podLabels ? { matchLabels: peer.podLabels } : peer.namespace ? {} : undefined,
  };
}

function portOf(port: NetworkPort) {
  return { port: String(port.port), protocol: port.protocol ?? 'TCP' };
}
