import type { Construct, IConstruct } from 'constructs';
import type { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';

/** Where traffic may come from or go to, in a network policy rule. */
export interface NetworkPeer {
  /** Pods with these labels (in the namespace of the rule, unless a namespace is given). */
  readonly podLabels?: Record<string, string>;
  /** Pods in the namespace of this name (matched on `kubernetes.io/metadata.name`). */
  readonly namespace?: string;
  /** An IP range, e.g. `0.0.0.0/0` for the internet. */
  readonly cidr?: string;
  /** Ranges excluded from `cidr`. */
  readonly except?: string[];
}

/** A port in a network policy rule. */
export interface NetworkPort {
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}

/** Peers and ports a workload must reach, e.g. a database or an object store. */
export interface EgressTarget {
  /** A short name used in the generated policy name, e.g. `object-store`. */
  readonly name: string;
  readonly to: NetworkPeer[];
  readonly ports: NetworkPort[];
}

/** The TCP port of an http(s) URL: its explicit port, else 443 or 80 by scheme. */
export function urlPort(url: string | URL): number {
  const u = typeof url === 'string' ? new URL(url) : url;
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/** A rule that lets the selected pods receive traffic. */
export interface IngressRule {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  /** Labels of the pods that receive the traffic. */
  readonly podLabels: Record<string, string>;
  readonly from: NetworkPeer[];
  readonly ports: NetworkPort[];
}

/** A rule that lets the selected pods send traffic. */
export interface EgressRule {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  /** Labels of the pods that send the traffic. */
  readonly podLabels: Record<string, string>;
  readonly to: NetworkPeer[];
  readonly ports: NetworkPort[];
}

/**
 * The namespace a workload lives in, as workloads see it: names, the Pod Security level and
 * the network allows. `MlopsNamespace` implements it; the contract lives here so that the
 * capability layers depend on core only.
 */
export interface INamespace extends IConstruct {
  /** The namespace name as a reference to the namespace resource (orders creation). */
  readonly name: string;
  /** The namespace name as plain text. */
  readonly literalName: string;
  /** The Pod Security level the namespace enforces. */
  readonly podSecurity: 'restricted' | 'baseline' | 'privileged';
  /** Lets the selected pods receive traffic. */
  allowIngress(scope: Construct, id: string, rule: IngressRule): NetworkPolicyV1;
  /** Lets the selected pods send traffic. */
  allowEgress(scope: Construct, id: string, rule: EgressRule): NetworkPolicyV1;
  /**
   * Pod labels that open `targets` through policies the namespace shares among all pods carrying them:
   * one policy per target and namespace rather than one per workload. Namespaces without it (custom
   * implementations) get per-workload policies instead.
   */
  sharedEgress?(targets: readonly EgressTarget[]): SharedEgress;
  /**
   * One policy, shared by every pod that carries the label `labelKey` (whatever its value), that lets
   * those pods reach `target`: e.g. every model's clients (`mlops.cdktf.io/model-client: <model>`) to
   * the model servers, where each model's ingress policy admits its own clients only. Namespaces
   * without it (custom implementations) get a policy per workload instead.
   */
  sharedEgressFrom?(labelKey: string, target: EgressTarget): NetworkPolicyV1;
}

/** What {@link INamespace.sharedEgress} returns. */
export interface SharedEgress {
  /** Labels for the pod template: each opens one target. */
  readonly podLabels: Record<string, string>;
  /** The shared policies, one per target (created by the first workload that asks). */
  readonly policies: NetworkPolicyV1[];
}

/** Label key prefix of the shared egress policies: `egress.mlops.cdktf.io/<target>: allow`. */
export const SHARED_EGRESS_LABEL_PREFIX = 'egress.mlops.cdktf.io/';
