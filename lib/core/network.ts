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
