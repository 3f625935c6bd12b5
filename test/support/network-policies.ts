import { resourcesOf, type SynthesizedJson } from '../../lib/testing';

/** Workload types and where each keeps its pod template. */
const TEMPLATES: Record<string, (r: any) => any> = {
  kubernetes_deployment_v1: (r) => r.spec?.template,
  kubernetes_stateful_set_v1: (r) => r.spec?.template,
  kubernetes_job_v1: (r) => r.spec?.template,
  kubernetes_cron_job_v1: (r) => r.spec?.job_template?.spec?.template,
};

/**
 * Whether a NetworkPolicy's pod selector picks pods with `labels`. Policies with an empty selector (the
 * namespace's default deny and DNS allow, which pick every pod) count as not selecting, so the result
 * is the policies written for these pods.
 */
export function selects(policy: any, labels: Record<string, string>): boolean {
  const sel = Object.entries(policy.spec.pod_selector?.match_labels ?? {});
  return sel.length > 0 && sel.every(([k, v]) => labels[k] === v);
}

/** The policies that select pods with `labels` (see {@link selects}). */
export function policiesSelecting(json: SynthesizedJson, labels: Record<string, string>): any[] {
  return Object.values(resourcesOf(json, 'kubernetes_network_policy_v1')).filter((p) => selects(p, labels));
}

/** Names of the workloads whose pod templates a policy selects. */
export function workloadsSelectedBy(json: SynthesizedJson, policy: any): string[] {
  return Object.entries(TEMPLATES).flatMap(([type, template]) =>
    Object.values(resourcesOf(json, type))
      .filter((w: any) => selects(policy, template(w)?.metadata?.labels ?? {}))
      .map((w: any) => w.metadata.name),
  );
}
