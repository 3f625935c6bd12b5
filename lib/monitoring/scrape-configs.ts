import { MODEL_LABEL, VARIANT_LABEL, type ScrapeEndpoint, type WatchTarget } from '../core/observability';
import { scrapeJobName } from './alert-rules';

/**
 * Prometheus `scrape_configs` for the registered targets, handed to the chart
 * as `additionalScrapeConfigs`: plain Prometheus configuration, so nothing
 * needs the ServiceMonitor CRD at plan time and no `release` label selector
 * can silently drop a target.
 */

/** Where Prometheus pods see the Secrets listed in `prometheusSpec.secrets`. */
export const PROMETHEUS_SECRETS_DIR = '/etc/prometheus/secrets';

export interface ScrapeConfigOptions {
  /** `host:port` of the Pushgateway, scraped with `honor_labels` so pushed `job`/`model` labels survive. */
  readonly pushgatewayAddress?: string;
  /**
   * Name of the Secret in the Prometheus namespace holding a copy of a target's
   * basic-auth Secret (Prometheus can only mount Secrets of its own namespace).
   */
  readonly basicAuthSecretName?: (endpoint: ScrapeEndpoint) => string;
}

export const PUSHGATEWAY_JOB = 'mlops/pushgateway';

/** Prometheus' name for a pod label in service discovery meta labels. */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function podScrapeConfig(job: string, namespaces: string[], keep: Record<string, string>, ep: ScrapeEndpoint, opts: ScrapeConfigOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {
    job_name: job,
    metrics_path: ep.path ?? '/metrics',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: namespaces } }],
    relabel_configs: [
      ...Object.entries(keep).map(([k, v]) => ({ source_labels: [podLabelMeta(k)], regex: v, action: 'keep' })),
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: escapeRegex(ep.portName), action: 'keep' },
      // Pods that finished (or have not started) have no endpoint to scrape.
      { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Running', action: 'keep' },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: [podLabelMeta(MODEL_LABEL)], regex: '(.+)', target_label: 'model' },
      { source_labels: [podLabelMeta(VARIANT_LABEL)], regex: '(.+)', target_label: 'variant' },
    ],
  };
  if (ep.basicAuth) {
    const dir = `${PROMETHEUS_SECRETS_DIR}/${opts.basicAuthSecretName?.(ep) ?? ep.basicAuth.secretName}`;
    // username_file needs Prometheus >= 2.48; kube-prometheus-stack 88 ships 3.x.
    config.basic_auth = { username_file: `${dir}/${ep.basicAuth.usernameKey}`, password_file: `${dir}/${ep.basicAuth.passwordKey}` };
  }
  return config;
}

/** Scrape job of the models whose servers share a metrics endpoint shape (`mlops/models`, then `mlops/models-2`, ...). */
export const MODELS_JOB = 'mlops/models';

/**
 * One scrape job per tracking server; one for all models (selected by their
 * model and variant pod labels, in the models' namespaces), or one per
 * distinct metrics port, path and credentials; plus the Pushgateway. The
 * models' job does not grow with the fleet beyond its list of namespaces.
 */
export function buildScrapeConfigs(targets: readonly WatchTarget[], opts: ScrapeConfigOptions = {}): Record<string, unknown>[] {
  const configs: Record<string, unknown>[] = [];
  for (const t of targets) {
    if (t.kind === 'tracking-server') {
      const keep = Object.fromEntries(Object.entries(t.scrape.podLabels).map(([k, v]) => [k, escapeRegex(v)]));
      configs.push(podScrapeConfig(scrapeJobName(t), [t.scrape.namespace], keep, t.scrape, opts));
    }
  }
  const shapes = new Map<string, { ep: ScrapeEndpoint; namespaces: Set<string> }>();
  for (const t of targets) {
    if (t.kind !== 'model') continue;
    const ep = t.scrape;
    const key = JSON.stringify([ep.portName, ep.path ?? '/metrics', ep.basicAuth ?? null, ep.basicAuth ? ep.namespace : null]);
    const shape = shapes.get(key) ?? { ep, namespaces: new Set<string>() };
    shape.namespaces.add(ep.namespace);
    shapes.set(key, shape);
  }
  let i = 0;
  for (const { ep, namespaces } of shapes.values()) {
    const job = i++ === 0 ? MODELS_JOB : `${MODELS_JOB}-${i}`;
    configs.push(podScrapeConfig(job, [...namespaces], { [MODEL_LABEL]: '.+', [VARIANT_LABEL]: '.+' }, ep, opts));
  }
  if (opts.pushgatewayAddress) {
    configs.push({ job_name: PUSHGATEWAY_JOB, honor_labels: true, static_configs: [{ targets: [opts.pushgatewayAddress] }] });
  }
  return configs;
}
