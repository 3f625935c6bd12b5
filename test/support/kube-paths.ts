/** Where the API server keeps each kind of object the kubernetes provider resources create. */
const PATHS: Record<string, [group: string, plural: string, namespaced: boolean]> = {
  kubernetes_config_map_v1: ['api/v1', 'configmaps', true],
  kubernetes_cron_job_v1: ['apis/batch/v1', 'cronjobs', true],
  kubernetes_deployment_v1: ['apis/apps/v1', 'deployments', true],
  kubernetes_horizontal_pod_autoscaler_v2: ['apis/autoscaling/v2', 'horizontalpodautoscalers', true],
  kubernetes_ingress_v1: ['apis/networking.k8s.io/v1', 'ingresses', true],
  kubernetes_job_v1: ['apis/batch/v1', 'jobs', true],
  kubernetes_namespace_v1: ['api/v1', 'namespaces', false],
  kubernetes_network_policy_v1: ['apis/networking.k8s.io/v1', 'networkpolicies', true],
  kubernetes_persistent_volume_claim_v1: ['api/v1', 'persistentvolumeclaims', true],
  kubernetes_pod_disruption_budget_v1: ['apis/policy/v1', 'poddisruptionbudgets', true],
  kubernetes_role_binding_v1: ['apis/rbac.authorization.k8s.io/v1', 'rolebindings', true],
  kubernetes_role_v1: ['apis/rbac.authorization.k8s.io/v1', 'roles', true],
  kubernetes_secret_v1: ['api/v1', 'secrets', true],
  kubernetes_service_account_v1: ['api/v1', 'serviceaccounts', true],
  kubernetes_service_v1: ['api/v1', 'services', true],
  kubernetes_stateful_set_v1: ['apis/apps/v1', 'statefulsets', true],
};

/**
 * The API path of the object a kubernetes provider resource manages, from its synthesized config
 * (`namespaceOf` resolves a namespace reference); undefined for resources that are not Kubernetes
 * objects (random, helm). An unknown kubernetes type fails, so a new kind cannot go unchecked.
 */
export function apiPath(type: string, config: any, namespaceOf: (ref: string) => string): string | undefined {
  if (!type.startsWith('kubernetes_')) return undefined;
  const known = PATHS[type];
  if (!known) throw new Error(`no API path known for ${type}: add it to test/support/kube-paths.ts`);
  const [group, plural, namespaced] = known;
  const { name, namespace } = config.metadata;
  return namespaced ? `/${group}/namespaces/${namespaceOf(namespace ?? 'default')}/${plural}/${name}` : `/${group}/${plural}/${name}`;
}
