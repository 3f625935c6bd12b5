import type { IConstruct } from 'constructs';
import { TerraformStack } from './cdktf';
import { fail } from './errors';

/**
 * Kubernetes names claimed per stack, so that two workloads whose objects
 * would have the same kind and name in one namespace (two models named alike,
 * a model named like a platform component) are refused at construct time,
 * naming both, instead of one silently overwriting the other at apply.
 */
const claims = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims `kind/name` in `namespace` (a name or the token of the namespace resource) for
 * `owner`; throws a ValidationError naming `prop` and the construct that holds it already.
 */
export function claimKubernetesName(owner: IConstruct, prop: string, kind: string, namespace: string, name: string): void {
  // Per stack: two stacks of one app (staging and production) are two configurations, usually two clusters.
  const root = owner.node.scopes.reverse().find((c) => TerraformStack.isStack(c)) ?? owner.node.root;
  let map = claims.get(root);
  if (!map) claims.set(root, (map = new Map()));
  const key = `${namespace}\u0000${kind}\u0000${name}`;
  const holder = map.get(key);
  if (holder !== undefined && holder !== owner.node.path) {
    fail(owner.node.path, prop, `got ${JSON.stringify(name)}; ${holder} already has a ${kind} named "${name}" in this namespace; give one of them another name`);
  }
  map.set(key, owner.node.path);
}

/** `churn-v2` as `ChurnV2`: a Kubernetes name in a construct id (grants per workload in a shared store). */
export function pascalCase(v: string): string {
  return v.split('-').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');
}
