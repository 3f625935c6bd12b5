import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itWithTool, requireTool } from '../support/tools';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import type { ModelWatch } from '../../lib/core/observability';
import { resourcesOf, resourceNamed, synthStack } from '../../lib/testing';
import type { TerraformStack } from '../../lib/core/cdktf';
import { Monitoring, type MonitoringProps } from '../../lib/monitoring/monitoring';
import { run, TARGETS } from './support';
import { addClusterProviders } from '../support/providers';

const promtool = requireTool('promtool');
const amtool = requireTool('amtool');

const NAMESPACE_ID = 'Monitoring_Namespace_98676FC2';

function build(props: MonitoringProps = {}, register = true) {
  let monitoring!: Monitoring;
  const out = synthStack((stack: TerraformStack) => {
    new KubernetesProvider(stack, 'k8s', {});
    new HelmProvider(stack, 'helm', {});
    new RandomProvider(stack, 'random', {});
    monitoring = new Monitoring(stack, 'Monitoring', {
      alerting: { slack: { webhookUrl: { secretName: 'alert-slack', key: 'url' } } },
      ...props,
    });
    // Registered after construction: the generated configuration must still include them.
    if (register) for (const t of TARGETS) monitoring.watch(t);
  });
  const releases = resourcesOf(out.json, 'helm_release');
  const kps = Object.values(releases).find((r: any) => r.chart === 'kube-prometheus-stack');
  const values = JSON.parse(kps.values[0]);
  return { ...out, monitoring, releases, kps, values };
}

describe('Monitoring', () => {
  const { json, text, kps, releases, values, monitoring } = build();

  it('installs kube-prometheus-stack and the Pushgateway pinned and atomic', () => {
    expect(kps).toMatchObject({ name: 'kube-prometheus-stack', version: '88.6.5', atomic: true, repository: 'https://prometheus-community.github.io/helm-charts' });
    const push = Object.values(releases).find((r: any) => r.chart === 'prometheus-pushgateway');
    expect(push).toMatchObject({ version: '3.2.0', atomic: true });
    expect(JSON.parse(push.values[0])).toMatchObject({ serviceMonitor: { enabled: false }, persistentVolume: { enabled: true, size: '2Gi' } });
    // the chart mounts the volume at /data; only this flag makes the gateway write there
    expect(JSON.parse(push.values[0]).extraArgs).toEqual(['--persistence.file=/data/pushgateway.data', '--persistence.interval=5m']);
    expect(monitoring.pushgatewayUrl).toBe('http://pushgateway.monitoring.svc.cluster.local:9091');
  });

  it('keeps stateful construct ids stable', () => {
    // Logical ids are the Terraform addresses: a change destroys Prometheus' data or reinstalls the stack.
    expect(Object.keys(resourcesOf(json, 'kubernetes_namespace_v1'))).toEqual([NAMESPACE_ID]);
    expect(Object.keys(releases).sort()).toEqual(['Monitoring_19FB5217', expect.stringMatching(/^Monitoring_Objectives-0_[0-9A-F]{8}$/), 'Monitoring_Pushgateway_615C874F']);
    expect(resourceNamed(json, 'kubernetes_namespace_v1', 'monitoring').lifecycle).toEqual({ prevent_destroy: true });
  });

  it('sets retention, storage and rule selection', () => {
    expect(values.prometheus.prometheusSpec).toMatchObject({
      retention: '15d',
      ruleSelectorNilUsesHelmValues: false,
      serviceMonitorSelectorNilUsesHelmValues: false,
      storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '50Gi' } } } } },
    });
  });

  it('takes the Grafana admin password from a generated Secret, never a literal', () => {
    expect(values.grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
    const secret = resourceNamed(json, 'kubernetes_secret_v1', 'grafana-admin');
    // The values name the Secret literally (no token in the large values string), so the release waits for it.
    const release = resourceNamed(json, 'helm_release', 'kube-prometheus-stack');
    expect(release.depends_on).toContainEqual(expect.stringMatching(/^kubernetes_secret_v1\.[^.]*GrafanaAdminSecret/));
    expect(secret.data['admin-password']).toMatch(/^\$\{random_password\.[^}]+\.result\}$/);
    expect(text).not.toContain('prom-operator');
    expect(values.grafana.adminPassword).toBeUndefined();
  });

  it('keeps node-exporter off the host root mount where asked (Docker Desktop has no shared one), or drops it', () => {
    expect(values['prometheus-node-exporter']).toBeUndefined();
    expect(build({ nodeExporter: { hostRootFsMount: false } }, false).values['prometheus-node-exporter']).toEqual({ hostRootFsMount: { enabled: false } });
    expect(build({ nodeExporter: false }, false).values.nodeExporter).toEqual({ enabled: false });
  });

  it('uses an existing Grafana admin Secret when given', () => {
    const r = build({ grafanaAdminSecret: { secretName: 'my-grafana' } }, false);
    expect(r.values.grafana.admin).toEqual({ existingSecret: 'my-grafana', userKey: 'admin-user', passwordKey: 'admin-password' });
    expect(resourcesOf(r.json, 'random_password')).toEqual({});
  });

  it('turns the dashboard sidecar on and labels dashboard ConfigMaps for it', () => {
    expect(values.grafana.sidecar.dashboards).toEqual({ enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'ALL' });
    const maps = Object.values(resourcesOf(json, 'kubernetes_config_map_v1'));
    expect(maps.map((m: any) => m.metadata.name).sort()).toEqual([
      'mlops-dashboard-drift', 'mlops-dashboard-models', 'mlops-dashboard-overview', 'mlops-dashboard-training',
    ]);
    for (const m of maps as any[]) {
      expect(m.metadata.labels.grafana_dashboard).toBe('1');
      for (const body of Object.values(m.data) as string[]) {
        const dash = JSON.parse(body);
        expect(dash.uid).toBeTruthy();
        expect(dash.panels.length).toBeGreaterThan(0);
      }
    }
    const drift = JSON.parse(resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-dashboard-drift').data['mlops-drift.json']);
    // One row of panels, repeated per model picked from the objective series: the same size for 1 or 1,000 models.
    expect(drift.templating.list.map((v: any) => [v.name, v.query])).toEqual([
      ['namespace', 'label_values(mlops:drift_stale_after_seconds, namespace)'],
      ['model', 'label_values(mlops:drift_stale_after_seconds{namespace=~"$namespace"}, model)'],
    ]);
    expect(drift.panels.filter((p: any) => p.type === 'row').map((p: any) => p.repeat)).toEqual(['model']);
    expect(JSON.stringify(drift)).toContain('mlops_drift_feature_psi{namespace=~\\"$namespace\\", model=\\"$model\\"}');
    const overview = JSON.parse(resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-dashboard-overview').data['mlops-overview.json']);
    expect(overview.templating.list.map((v: any) => v.name)).toEqual(['namespace', 'model']);
    // One model dashboard for every model: namespace and model picked by variables, nothing of either model baked in.
    const model = JSON.parse(resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-dashboard-models').data['mlops-model.json']);
    expect(model.uid).toBe('mlops-model');
    expect(model.templating.list.map((v: any) => [v.name, v.query, v.multi, v.hide ?? 0])).toEqual([
      ['namespace', 'label_values(mlops:model_latency_p95_objective_seconds, namespace)', false, 0],
      ['model', 'label_values(mlops:model_latency_p95_objective_seconds{namespace="$namespace"}, model)', false, 0],
      ['deployment', 'label_values(mlops:model_deployment_info{namespace="$namespace", model="$model"}, deployment)', true, 2],
      ['hpa', 'label_values(mlops:model_autoscaler_max_replicas{namespace="$namespace", model="$model"}, horizontalpodautoscaler)', true, 2],
    ]);
    const text = JSON.stringify(model);
    expect(text).not.toMatch(/churn|serving/); // (fraud's metric names are its server's, not its name)
    const titles = model.panels.map((p: any) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['p95 latency: stable', 'p95 latency: canary', 'Replicas vs autoscaler bounds', 'CPU vs requests', 'Memory vs requests']));
    const exprs = (title: string) => model.panels.find((p: any) => p.title === title).targets.map((t: any) => t.expr);
    // Each metric naming queried (fraud's server names its series differently); each objective drawn from the series the alerts join on.
    expect(exprs('Requests per second by variant')).toEqual([
      'sum by (variant) (rate(http_requests_total{namespace="$namespace", model="$model"}[$__rate_interval]))',
      'sum by (variant) (rate(fraud_requests_total{namespace="$namespace", model="$model"}[$__rate_interval]))',
    ]);
    expect(exprs('p95 latency: stable')).toContain('max(mlops:model_latency_p95_objective_seconds{namespace="$namespace", model="$model"})');
    expect(exprs('Error rate: canary')).toContain('max(mlops:model_error_budget_ratio{namespace="$namespace", model="$model"})');
    expect(exprs('CPU vs requests')[0]).toContain('pod=~"$deployment-.*"');
  });

  it('scrapes every registered target, the Pushgateway with honor_labels', () => {
    const jobs = values.prometheus.prometheusSpec.additionalScrapeConfigs;
    // Models by label, one job per metrics endpoint shape (fraud serves /prometheus), not one per model.
    expect(jobs.map((j: any) => j.job_name)).toEqual(['mlops/tracking/mlops/mlflow', 'mlops/models', 'mlops/models-2', 'mlops/pushgateway']);
    expect(jobs[3]).toEqual({ job_name: 'mlops/pushgateway', honor_labels: true, static_configs: [{ targets: ['pushgateway.monitoring.svc.cluster.local:9091'] }] });
    expect(jobs[2].metrics_path).toBe('/prometheus');
    expect(jobs[1].kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['serving'] } }]);
    expect(jobs[1].relabel_configs).toEqual(expect.arrayContaining([
      { source_labels: ['__meta_kubernetes_pod_label_mlops_cdktf_io_model'], regex: '.+', action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_label_mlops_cdktf_io_variant'], regex: '.+', action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_label_mlops_cdktf_io_model'], regex: '(.+)', target_label: 'model' },
      { source_labels: ['__meta_kubernetes_pod_label_mlops_cdktf_io_variant'], regex: '(.+)', target_label: 'variant' },
    ]));
  });

  it('copies basic-auth Secrets into the monitoring namespace and mounts them', () => {
    const copy = resourceNamed(json, 'kubernetes_secret_v1', 'scrape-mlops-mlflow-metrics-auth');
    expect(copy.metadata.namespace).toMatch(/kubernetes_namespace_v1/);
    expect(copy.data.password).toMatch(/^\$\{data\.kubernetes_secret_v1\.[^}]+\.data\["password"\]\}$/);
    expect(values.prometheus.prometheusSpec.secrets).toEqual(['scrape-mlops-mlflow-metrics-auth']);
    expect(values.prometheus.prometheusSpec.additionalScrapeConfigs[0].basic_auth).toEqual({
      username_file: '/etc/prometheus/secrets/scrape-mlops-mlflow-metrics-auth/username',
      password_file: '/etc/prometheus/secrets/scrape-mlops-mlflow-metrics-auth/password',
    });
  });

  it('ships the generated rules and the Alertmanager configuration in the chart values', () => {
    const groups = values.additionalPrometheusRulesMap.mlops.groups;
    expect(groups.map((g: any) => g.name)).toEqual(['mlops-tracking-mlops-mlflow', 'mlops-models', 'mlops-training', 'mlops-drift']);
    // The objectives the rules join on: a PrometheusRule of the local chart, installed after the CRD's chart.
    const objectives = Object.values(releases).find((r: any) => r.name === 'mlops-objectives-0');
    expect(objectives).toMatchObject({ chart: expect.stringMatching(/^assets\/Monitoring_ObjectivesChart_/), depends_on: [expect.stringMatching(/^helm_release\.Monitoring_19FB5217$/)] });
    const shard = JSON.parse(objectives.values[0]);
    expect(shard.name).toBe('mlops-objectives-0');
    expect(shard.groups[0].rules.map((r: any) => r.record)).toContain('mlops:model_latency_p95_objective_seconds');
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual(['alert-slack']);
    expect(values.alertmanager.config.receivers.map((r: any) => r.name)).toEqual(['null', 'slack']);
  });

  it('produces no Terraform interpolation inside generated text except references', () => {
    // `${` only where we reference resources (names, data source values); never from PromQL or dashboards.
    for (const m of text.matchAll(/\$\{([^}]*)\}/g)) expect(m[1]).toMatch(/^(kubernetes_|data\.kubernetes_|random_password)/);
    expect(text).not.toContain('%{');
  });

  it('applies the destroy removal policy to the namespace and Prometheus volume', () => {
    const r = build({ removalPolicy: 'destroy' }, false);
    expect(resourceNamed(r.json, 'kubernetes_namespace_v1', 'monitoring').lifecycle).toEqual({ prevent_destroy: false });
    expect(r.values.prometheus.prometheusSpec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Retain' });
  });
});

describe('Monitoring validation', () => {
  const make = (props: MonitoringProps) => () => build(props, false);

  it('names the prop for bad retention, storage and sizes', () => {
    expect(make({ retention: '15 days' })).toThrow(/retention: got "15 days"; must be a duration/);
    expect(make({ storage: { size: '50GB' } })).toThrow(/storage\.size: got "50GB"; must be a Kubernetes quantity/);
    expect(make({ retentionSize: '45Gi' })).toThrow(/retentionSize: got "45Gi"; must be a Prometheus size/);
    expect(make({ rules: { latencyFor: '-5m' } })).toThrow(/rules\.latencyFor/);
  });

  it('rejects routes to unconfigured receivers naming the prop', () => {
    expect(make({ alerting: { severityReceivers: { critical: 'pagerDuty' } } })).toThrow(/alerting: receiver "pagerDuty" is routed to but not configured/);
  });

  it('rejects negative or impossible thresholds from a registration, naming the field', () => {
    const m = TARGETS[1] as any;
    const withTarget = (t: any) => () => synthStack((stack) => new Monitoring(stack, 'M').watch(t));
    expect(withTarget({ ...m, latencyP95Seconds: -1 })).toThrow(/watch\(model serving\/churn\)\.latencyP95Seconds: got -1; must be a number greater than 0/);
    expect(withTarget({ ...m, errorRatio: 5 })).toThrow(/errorRatio: got 5; must be a share between 0 and 1/);
    expect(withTarget({ ...TARGETS[5], sustainedForSeconds: 0 })).toThrow(/sustainedForSeconds: got 0/);
    expect(() => synthStack((stack) => { const mon = new Monitoring(stack, 'M'); mon.watch(m); mon.watch(m); })).toThrow(/registered twice/);
  });
});

describe('Monitoring configuration files', () => {
  const { values, monitoring, json } = build();

  it('renders exactly what the chart values ship', () => {
    const files = monitoring.renderConfigFiles();
    const objectives = JSON.parse(Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.name === 'mlops-objectives-0').values[0]);
    expect(JSON.parse(files['rules.json'])).toEqual({ groups: [...values.additionalPrometheusRulesMap.mlops.groups, ...objectives.groups] });
    expect(JSON.parse(files['alertmanager.json'])).toEqual(values.alertmanager.config);
  });

  itWithTool(promtool, 'the shipped rules pass promtool check rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-mon-'));
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(values.additionalPrometheusRulesMap.mlops));
    const r = run('promtool', ['check', 'rules', 'rules.json'], dir);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: 1\d rules found/);
  });

  itWithTool(amtool, 'the shipped Alertmanager configuration passes amtool check-config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-mon-'));
    writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(values.alertmanager.config));
    const r = run('amtool', ['check-config', 'alertmanager.yml'], dir);
    expect(r.code, r.output).toBe(0);
  });
});

describe('Monitoring with namespaces known only at apply time', () => {
  it('accepts token namespaces and keeps names and ids literal', () => {
    const { json } = synthStack((stack) => {
      addClusterProviders(stack);
      const ns = new NamespaceV1(stack, 'Serving', { metadata: { name: 'serving' } });
      const mon = new Monitoring(stack, 'Monitoring');
      const churn = TARGETS[1] as ModelWatch;
      mon.watch({ ...churn, namespace: ns.metadata.name, scrape: { ...churn.scrape, namespace: ns.metadata.name, basicAuth: { secretName: 'auth', usernameKey: 'u', passwordKey: 'p' } } });
    });
    // The model's objective series (which the model dashboard reads) carry the namespace reference.
    const objectives = Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.name === 'mlops-objectives-0') as any;
    const rules = JSON.parse(objectives.values[0]).groups[0].rules;
    expect(rules.find((r: any) => r.record === 'mlops:model_deployment_info').labels).toEqual({
      namespace: '${kubernetes_namespace_v1.Serving.metadata[0].name}', model: 'churn', variant: 'stable', deployment: 'churn-stable',
    });
    expect(resourceNamed(json, 'kubernetes_secret_v1', 'scrape-0-auth').data.p).toContain('data.kubernetes_secret_v1');
  });
});

describe('Monitoring alerting input', () => {
  it('rejects a modelReceivers key that is not a model name, naming the key', () => {
    const build = () =>
      synthStack((stack) => new Monitoring(stack, 'M', { alerting: { slack: { webhookUrl: { secretName: 'a', key: 'b' } }, modelReceivers: { 'churn"} or {x="': { warning: 'slack' } } } }));
    expect(build).toThrow(/alerting\.modelReceivers\.churn"\} or \{x=": the key .* is not allowed: it must be an RFC 1123 label/);
  });
});
