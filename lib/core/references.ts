/**
 * The Terraform reference to a Kubernetes object's name, made once per object.
 *
 * Every read of a provider attribute (`configMap.metadata.name`) builds a new reference token, and
 * cdktf captures a full stack trace for each token it builds: about 0.25 ms under the source maps of
 * tsx or ts-node (how cdktf.json runs an app), and the trace's strings stay in memory until the app
 * exits. A namespace's shared program ConfigMaps are mounted by every workload of a fleet; reading
 * their names through here makes one token per ConfigMap instead of one per workload. The token is
 * the same reference either way, so the synthesized JSON is unchanged.
 */
const names = new WeakMap<object, string>();

export function nameOf(resource: { readonly metadata: { readonly name: string } }): string {
  let name = names.get(resource);
  if (name === undefined) names.set(resource, (name = resource.metadata.name));
  return name;
}
