import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect } from 'vitest';
import { synthStack, resourcesOf, resourceNamed, allContainers, type SynthesizedJson, secureDefaultViolations } from '../../lib/testing';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { ModelDeployment, type ModelDeploymentProps, CANARY_EFFECTIVE_WEIGHT_ANNOTATION, MODEL_CLIENT_LABEL } from '../../lib/serving/model-deployment';
import { DEFAULT_IMAGES } from '../../lib/core/images';
import { MODEL_LABEL, VARIANT_LABEL, type IMonitoringSink, type WatchTarget } from '../../lib/core/observability';
import { TRACKING_CLIENT_LABEL } from '../../lib/core/labels';
import { DisruptionBudgets } from '../../lib/cluster/disruption-budgets';
import { Construct } from 'constructs';

const DEP = 'kubernetes_deployment_v1';
const HPA = 'kubernetes_horizontal_pod_autoscaler_v2';
const PDB = 'kubernetes_pod_disruption_budget_v1';
const SVC = 'kubernetes_service_v1';
const NP = 'kubernetes_network_policy_v1';

type Props = Omit<ModelDeploymentProps, 'platform'>;

function build(props: Props, monitoring?: IMonitoringSink): SynthesizedJson {
  return synthStack((stack) => {
    const platform = new MlopsPlatform(stack, 'Platform', { monitoring });
    new ModelDeployment(stack, 'Churn', { platform, ...props });
  }).json;
}

const registry: Props = { model: 'models:/churn@champion' };
const custom: Props = { name: 'fraud', image: 'ghcr.io/acme/fraud-api:1.4.2', port: 8000, healthPath: '/healthz', metrics: { port: 9000 } };

const container = (json: SynthesizedJson, name: string) => resourceNamed(json, DEP, name).spec.template.spec.container[0];
const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.value_from]));

describe('ModelDeployment: registry model', () => {
  const json = build(registry);
  const dep = resourceNamed(json, DEP, 'churn');
  const c = container(json, 'churn');

  it('runs the metrics wrapper in the MLflow image with the model URI and tracking URI', () => {
    expect(c.image).toBe(DEFAULT_IMAGES.mlflow);
    expect(c.command).toEqual(['python', '/opt/mlops/serve_model.py']);
    const env = envOf(c);
    expect(env.MLOPS_MODEL_URI).toBe('models:/churn@champion');
    expect(env.MLFLOW_TRACKING_URI).toBe('http://mlflow.mlops.svc.cluster.local:5000');
    expect(env.MLOPS_MODEL_VARIANT).toBe('stable');
    expect(env.MLFLOW_MODELS_WORKERS).toBe('1');
    expect(c.command.join(' ')).not.toMatch(/pip|conda|virtualenv/);
    expect(c.port).toEqual([{ name: 'http', container_port: 8080, protocol: 'TCP' }]);
  });

  it('mounts the very wrapper that is tested (ConfigMap content = lib/serving/scripts/serve_model.py)', () => {
    const cm = resourceNamed(json, 'kubernetes_config_map_v1', 'mlops-program-serve-model');
    expect(cm.data['serve_model.py']).toBe(readFileSync(path.join(__dirname, '../../lib/serving/scripts/serve_model.py'), 'utf8'));
    expect(c.volume_mount).toContainEqual({ name: 'scripts', mount_path: '/opt/mlops', read_only: true });
  });

  it('probes /health and rolls without downtime', () => {
    for (const probe of ['startup_probe', 'readiness_probe', 'liveness_probe']) expect(c[probe].http_get.path).toBe('/health');
    expect(c.startup_probe.failure_threshold * c.startup_probe.period_seconds).toBe(600);
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rolling_update: { max_unavailable: '0', max_surge: '25%' } });
    // The model may be registered after the platform: a first apply must not block on it.
    expect(dep.wait_for_rollout).toBe(false);
  });

  it('labels pods with model, variant and the tracking-client label', () => {
    const labels = dep.spec.template.metadata.labels;
    expect(labels).toMatchObject({ [MODEL_LABEL]: 'churn', [VARIANT_LABEL]: 'stable', [TRACKING_CLIENT_LABEL]: 'true' });
  });

  it('has a ClusterIP Service over the model pods, and nothing exposed by default', () => {
    const svc = resourceNamed(json, SVC, 'churn');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.selector[VARIANT_LABEL]).toBeUndefined();
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(dep.spec.template.metadata.labels[k]).toBe(v);
    expect(resourcesOf(json, 'kubernetes_ingress_v1')).toEqual({});
    const modelServices = Object.entries(resourcesOf(json, SVC)).filter(([id]) => id.startsWith('Churn'));
    expect(modelServices.map(([, s]: [string, any]) => s.spec.type)).toEqual(['ClusterIP']);
  });

  it('runs under its own serving service account', () => {
    const sa = resourceNamed(json, 'kubernetes_service_account_v1', 'model-churn');
    expect(sa.automount_service_account_token).toBe(false);
    expect(dep.spec.template.spec.service_account_name).toContain('Churn_Identity');
  });

  it('spreads pods across nodes and zones with its own selector', () => {
    const spread = dep.spec.template.spec.topology_spread_constraint;
    expect(spread.map((s: any) => s.topology_key)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const s of spread) {
      expect(s.label_selector[0].match_labels).toEqual(dep.spec.selector.match_labels);
      expect(s.max_skew).toBe(1);
    }
  });

  it('lets labelled clients, and only them, call the model', () => {
    const ingress = resourceNamed(json, NP, 'churn-model-ingress');
    expect(ingress.spec.ingress[0].from).toEqual([
      { pod_selector: { match_labels: { [MODEL_CLIENT_LABEL]: 'churn' } } },
      // Prometheus, from the platform's monitoring namespace, scrapes the metrics port
      { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': expect.stringMatching(/^\$\{kubernetes_namespace_v1\.Platform_Monitoring_Namespace_/) } }, pod_selector: {} },
    ]);
    expect(ingress.spec.ingress[0].ports).toEqual([{ port: '8080', protocol: 'TCP' }]);
    // The clients' side is one policy of the namespace for every model's clients; churn's ingress above admits churn's only.
    const clients = resourceNamed(json, NP, 'allow-model-clients-egress');
    expect(clients.spec.pod_selector).toEqual({ match_expressions: [{ key: MODEL_CLIENT_LABEL, operator: 'Exists' }] });
    expect(clients.spec.egress).toEqual([{
      to: [{ pod_selector: { match_labels: { 'app.kubernetes.io/component': 'model-server', 'app.kubernetes.io/instance': 'mlops' } } }],
      ports: [{ port: '8080', protocol: 'TCP' }],
    }]);
  });

  it('shares the clients\' egress policy among models on one port, and gives another port a policy of its own', () => {
    const fleet = synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'Platform');
      for (const name of ['churn', 'fraud', 'upsell']) platform.addModel(name, { name, model: `models:/${name}@champion` });
      platform.addModel('Api', { ...custom, name: 'api' });
    }).json;
    const policies = Object.values(resourcesOf(fleet, NP)).filter((np: any) => np.spec.pod_selector.match_expressions?.[0]?.key === MODEL_CLIENT_LABEL);
    expect(policies.map((np: any) => [np.metadata.name, np.spec.egress[0].ports[0].port]).sort((a, b) => b[1].localeCompare(a[1]))).toEqual([
      ['allow-model-clients-egress', '8080'],
      [expect.stringMatching(/^allow-model-clients-[0-9a-f]+-egress$/), '8000'],
    ]);
    // Each model still admits only its own clients.
    for (const name of ['churn', 'fraud', 'upsell', 'api']) {
      expect(resourceNamed(fleet, NP, `${name}-model-ingress`).spec.ingress[0].from[0]).toEqual({ pod_selector: { match_labels: { [MODEL_CLIENT_LABEL]: name } } });
    }
  });

  it('matches the snapshot', () => {
    const mine = Object.fromEntries(
      Object.entries(json.resource ?? {}).map(([t, rs]) => [t, Object.fromEntries(Object.entries(rs).filter(([id]) => id.startsWith('Churn')))]),
    );
    // Large generated file content is pinned by the ConfigMap test above.
    mine.kubernetes_config_map_v1 = {};
    expect(mine).toMatchSnapshot();
  });
});

describe('ModelDeployment: custom image', () => {
  const json = build(custom);
  const dep = resourceNamed(json, DEP, 'fraud');
  const c = container(json, 'fraud');

  it('runs the image with its port, health path and a separate metrics port', () => {
    expect(c.image).toBe('ghcr.io/acme/fraud-api:1.4.2');
    expect(c.command).toBeUndefined();
    expect(c.port).toEqual([
      { name: 'http', container_port: 8000, protocol: 'TCP' },
      { name: 'metrics', container_port: 9000, protocol: 'TCP' },
    ]);
    for (const probe of ['startup_probe', 'readiness_probe', 'liveness_probe']) expect(c[probe].http_get.path).toBe('/healthz');
    expect(envOf(c).MLFLOW_TRACKING_URI).toBeDefined();
    expect(Object.keys(resourcesOf(json, 'kubernetes_config_map_v1')).filter((id) => id.startsWith('Churn'))).toEqual([]);
    expect(dep.wait_for_rollout).toBe(true);
    expect(resourceNamed(json, NP, 'fraud-model-ingress').spec.ingress[0].ports.map((p: any) => p.port)).toEqual(['8000', '9000']);
  });

  it('registers with monitoring using the metrics names and port', () => {
    const watches: WatchTarget[] = [];
    build({ ...custom, metrics: { port: 9000, requestsTotal: 'fraud_requests_total', statusLabel: 'code' } }, { prometheusNamespace: 'monitoring', watch: (t) => watches.push(t) });
    expect(watches).toHaveLength(2); // tracking server + model
    expect(watches[1]).toMatchObject({
      kind: 'model',
      model: 'fraud',
      scrape: { portName: 'metrics', path: '/metrics', podLabels: { [MODEL_LABEL]: 'fraud' } },
      deployments: { stable: 'fraud' },
      autoscalerName: 'fraud',
      minReplicas: 2,
      maxReplicas: 10,
      latencyP95Seconds: 0.5,
      errorRatio: 0.01,
      metrics: { requestDuration: 'http_request_duration_seconds', requestsTotal: 'fraud_requests_total', statusLabel: 'code' },
    });
  });

  it('admits Prometheus when monitoring is on', () => {
    const j = build(registry, { prometheusNamespace: 'monitoring', watch: () => undefined });
    expect(resourceNamed(j, NP, 'churn-model-ingress').spec.ingress[0].from).toContainEqual({
      namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      pod_selector: {},
    });
  });
});

describe('ModelDeployment: autoscaling', () => {
  it('creates an HPA v2 with CPU and memory targets and scale-up/down behaviour', () => {
    const json = build({ ...registry, minReplicas: 3, maxReplicas: 12, autoscaling: { cpuUtilization: 60, scaleDownStabilizationSeconds: 600 } });
    const hpa = resourceNamed(json, HPA, 'churn');
    expect(hpa.spec.min_replicas).toBe(3);
    expect(hpa.spec.max_replicas).toBe(12);
    expect(hpa.spec.scale_target_ref).toEqual({ api_version: 'apps/v1', kind: 'Deployment', name: expect.stringContaining('Churn_Stable') });
    expect(hpa.spec.metric).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', average_utilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', average_utilization: 80 } } },
    ]);
    expect(hpa.spec.behavior.scale_up[0]).toEqual({
      stabilization_window_seconds: 0,
      select_policy: 'Max',
      policy: [
        { type: 'Percent', value: 100, period_seconds: 60 },
        { type: 'Pods', value: 4, period_seconds: 60 },
      ],
    });
    expect(hpa.spec.behavior.scale_down[0]).toEqual({
      stabilization_window_seconds: 600,
      select_policy: 'Max',
      policy: [{ type: 'Percent', value: 25, period_seconds: 60 }],
    });
  });

  it('leaves the replica count to the HPA (no replicas, drift ignored)', () => {
    const dep = resourceNamed(build(registry), DEP, 'churn');
    expect(dep.spec.replicas).toBeUndefined();
    expect(dep.lifecycle.ignore_changes).toEqual(['spec[0].replicas']);
  });

  it('uses a fixed replica count without autoscaling', () => {
    const json = build({ ...registry, autoscaling: false, minReplicas: 3 });
    const dep = resourceNamed(json, DEP, 'churn');
    expect(dep.spec.replicas).toBe('3');
    expect(dep.lifecycle).toBeUndefined();
    expect(resourcesOf(json, HPA)).toEqual({});
  });

  it('scales on request rate through one prometheus-adapter per platform', () => {
    const json = synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'Platform');
      new ModelDeployment(stack, 'Churn', { platform, ...registry, autoscaling: { requestsPerSecond: 25 } });
      new ModelDeployment(stack, 'Fraud', { platform, ...custom, metrics: { requestsTotal: 'fraud_requests_total' }, autoscaling: { requestsPerSecond: 5 } });
    }).json;
    const hpa = resourceNamed(json, HPA, 'churn');
    expect(hpa.spec.metric[2]).toEqual({ type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', average_value: '25' } } });
    expect(resourceNamed(json, HPA, 'fraud').spec.metric[2].pods.metric.name).toBe('fraud_requests_per_second');
    const adapters = Object.values(resourcesOf(json, 'helm_release')).filter((r: any) => r.chart === 'prometheus-adapter');
    expect(adapters).toHaveLength(1);
    const adapter: any = adapters[0];
    expect(adapter).toMatchObject({ repository: 'https://prometheus-community.github.io/helm-charts', version: '5.3.0', namespace: expect.stringMatching(/^\$\{kubernetes_namespace_v1\.Platform_Monitoring_Namespace_/) });
    // Terraform would interpolate "${1}"; the escaped "$${1}" reaches the chart as "${1}".
    const values = JSON.parse(adapter.values[0].replace(/\$\$\{/g, '${'));
    expect(adapter.values[0]).not.toMatch(/[^$]\$\{1\}/);
    expect(values.prometheus).toEqual({ url: 'http://kps-prometheus.monitoring.svc.cluster.local', port: 9090, path: '' });
    expect(values.rules.default).toBe(false);
    // the chart labels its pods and selects on its own instance label: no app.kubernetes.io pod labels of ours
    expect(values.podLabels).toBeUndefined();
    expect(values.rules.custom.map((r: any) => r.seriesQuery)).toEqual(['fraud_requests_total{namespace!="",pod!=""}', 'http_requests_total{namespace!="",pod!=""}']);
    expect(values.rules.custom[0].name).toEqual({ matches: '^(.*)_total$', as: '${1}_per_second' });
  });

  it('has one disruption budget over both variants, in the namespace release that lets unready pods be evicted', () => {
    const json = build({ ...registry, canary: { model: 'models:/churn/7', weight: 10 } });
    // No provider budget: its resource (kubernetes provider 2.38) cannot set unhealthyPodEvictionPolicy.
    expect(resourcesOf(json, PDB)).toEqual({});
    const releases = Object.entries(resourcesOf(json, 'helm_release')).filter(([, r]: [string, any]) => r.name === 'mlops-disruption-budgets');
    expect(releases.map(([id]) => id)).toEqual([expect.stringMatching(/^Platform_Namespace_DisruptionBudgets_[0-9A-F]{8}$/)]);
    const release = releases[0]![1] as any;
    expect(release.chart).toMatch(/^assets\/Platform_Namespace_DisruptionBudgets_Chart_/);
    expect(release.namespace).toMatch(/^\$\{kubernetes_namespace_v1\./);
    const { groups } = JSON.parse(release.values[0]);
    expect(groups).toHaveLength(1);
    const g = groups[0];
    expect(g).toMatchObject({ names: ['churn'], suffix: '-pdb', maxUnavailable: 1 });
    expect(g.unhealthyPodEvictionPolicy).toBeUndefined(); // the chart's default, AlwaysAllow
    // The selector the chart renders for churn: the model's pods of both variants, and no variant label.
    const selector = { ...g.selector, ...Object.fromEntries(g.nameSelector.map((k: string) => [k, 'churn'])) };
    expect(selector[VARIANT_LABEL]).toBeUndefined();
    for (const variant of ['churn', 'churn-canary']) {
      const pods = resourceNamed(json, DEP, variant).spec.template.metadata.labels;
      for (const [k, v] of Object.entries(selector)) expect(pods[k], `${variant} pod label ${k}`).toBe(v);
    }
  });

  it('rejects a second budget of the same name in the namespace', () => {
    expect(() => synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'Platform');
      new ModelDeployment(stack, 'Churn', { platform, ...registry });
      DisruptionBudgets.of(platform.namespace).add(new Construct(stack, 'Other'), { name: 'churn', labels: {}, selector: { app: 'x' } });
    })).toThrow(/test\/Other:\n {2}- name: got "churn-pdb"; test\/Churn already has a PodDisruptionBudget named "churn-pdb"/);
  });
});

describe('ModelDeployment: canary by replica ratio (no gateway)', () => {
  const json = build({ ...registry, canary: { model: 'models:/churn/7', weight: 10 } });

  it('runs the candidate beside the stable version with a 9:1 pod ratio', () => {
    expect(container(json, 'churn-canary').env).toContainEqual({ name: 'MLOPS_MODEL_URI', value: 'models:/churn/7' });
    expect(resourceNamed(json, HPA, 'churn').spec).toMatchObject({ min_replicas: 9, max_replicas: 10 });
    expect(resourceNamed(json, HPA, 'churn-canary').spec).toMatchObject({ min_replicas: 1, max_replicas: 2 });
    const canary = resourceNamed(json, DEP, 'churn-canary');
    expect(canary.metadata.annotations[CANARY_EFFECTIVE_WEIGHT_ANNOTATION]).toBe('10');
    expect(canary.spec.template.metadata.labels[VARIANT_LABEL]).toBe('canary');
    expect(Object.values(json.output ?? {})).toContainEqual(expect.objectContaining({ value: 10 }));
  });

  it('sends traffic to both variants through the one Service', () => {
    const svc = resourceNamed(json, SVC, 'churn');
    expect(svc.spec.selector[VARIANT_LABEL]).toBeUndefined();
    for (const name of ['churn', 'churn-canary']) {
      const labels = resourceNamed(json, DEP, name).spec.template.metadata.labels;
      for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    }
    expect(Object.values(resourcesOf(json, SVC)).filter((s: any) => s.metadata.name.startsWith('churn'))).toHaveLength(1);
  });

  it('reports the closest ratio when the weight cannot be hit exactly', () => {
    const j = build({ ...registry, canary: { model: 'models:/churn/7', weight: 7 } });
    // 1 canary of 11 pods (10 stable at most) = 9.1 %.
    expect(resourceNamed(j, DEP, 'churn-canary').metadata.annotations[CANARY_EFFECTIVE_WEIGHT_ANNOTATION]).toBe('9.1');
    expect(resourceNamed(j, HPA, 'churn').spec.min_replicas).toBe(10);
  });

  it('uses fixed replica counts without autoscaling', () => {
    const j = build({ ...registry, autoscaling: false, canary: { model: 'models:/churn/7', weight: 25 } });
    expect(resourceNamed(j, DEP, 'churn').spec.replicas).toBe('3');
    expect(resourceNamed(j, DEP, 'churn-canary').spec.replicas).toBe('1');
  });

  it('rejects a weight the replica ratio cannot approach, naming canary.weight and the closest weight', () => {
    expect(() => build({ ...registry, canary: { model: 'models:/churn/7', weight: 1 } })).toThrow(/canary\.weight: got 1;.*closest achievable weight is 9\.1 \(10 stable, 1 canary\).*canary\.tolerance \(5\)/);
    // A looser tolerance accepts it.
    expect(() => build({ ...registry, canary: { model: 'models:/churn/7', weight: 1, tolerance: 10 } })).not.toThrow();
  });
});

describe('ModelDeployment: canary through a Gateway', () => {
  const gateway = { name: 'public', namespace: 'gateway', hostnames: ['churn.example.com'] };
  const json = build({ ...registry, gateway, canary: { model: 'models:/churn/7', weight: 10 } });
  const route = Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.name === 'churn-route') as any;
  const values = JSON.parse(route.values[0]);

  it('splits by exact weights in an HTTPRoute from the local chart', () => {
    expect(values.backends).toEqual([
      { service: 'churn', port: 80, weight: 90 },
      { service: 'churn-canary', port: 80, weight: 10 },
    ]);
    expect(values.backends.reduce((a: number, b: any) => a + b.weight, 0)).toBe(100);
    expect(values.gateway).toEqual({ name: 'public', namespace: 'gateway', sectionName: '' });
    expect(values.hostnames).toEqual(['churn.example.com']);
    // the chart ships as a Terraform asset, copied from lib/serving/charts into the stack output
    expect(route.chart).toMatch(/^assets\//);
    const source = path.resolve(__dirname, '..', '..', 'lib', 'serving', 'charts', 'model-route');
    expect(existsSync(path.join(source, 'Chart.yaml'))).toBe(true);
    expect(readFileSync(path.join(source, 'templates', 'httproute.yaml'), 'utf8')).toContain('gateway.networking.k8s.io/v1');
  });

  it('has one Service per variant and a canary that does not depend on the weight', () => {
    expect(resourceNamed(json, SVC, 'churn').spec.selector[VARIANT_LABEL]).toBe('stable');
    expect(resourceNamed(json, SVC, 'churn-canary').spec.selector[VARIANT_LABEL]).toBe('canary');
    expect(resourceNamed(json, DEP, 'churn-canary').metadata.annotations).toBeUndefined();
    expect(resourceNamed(json, HPA, 'churn-canary').spec).toMatchObject({ min_replicas: 1, max_replicas: 10 });
    expect(resourceNamed(json, HPA, 'churn').spec).toMatchObject({ min_replicas: 2, max_replicas: 10 });
  });

  it('admits the gateway proxies', () => {
    expect(resourceNamed(json, NP, 'churn-model-ingress').spec.ingress[0].from).toContainEqual({
      namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'gateway' } },
      pod_selector: {},
    });
  });
});

/** Resources (type.id) whose JSON differs between two synths, with the differing leaf paths. */
function diff(a: SynthesizedJson, b: SynthesizedJson): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const leaves = (x: any, y: any, at: string, acc: string[]) => {
    if (JSON.stringify(x) === JSON.stringify(y)) return;
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) leaves(x[k], y[k], `${at}.${k}`, acc);
    } else acc.push(at);
  };
  const types = new Set([...Object.keys(a.resource ?? {}), ...Object.keys(b.resource ?? {})]);
  for (const t of types) {
    const ra = resourcesOf(a, t), rb = resourcesOf(b, t);
    for (const id of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      const acc: string[] = [];
      leaves(ra[id], rb[id], '', acc);
      if (acc.length) out[`${t}.${id}`] = acc;
    }
  }
  return out;
}

describe('ModelDeployment: a change of the canary weight changes only the routing objects', () => {
  it('gateway mode: only the HTTPRoute release changes', () => {
    const at = (weight: number) => build({ ...registry, gateway: { name: 'public', namespace: 'gateway' }, canary: { model: 'models:/churn/7', weight } });
    const changed = diff(at(10), at(30));
    expect(Object.keys(changed)).toEqual([expect.stringMatching(/^helm_release\.Churn_Route_/)]);
    expect(changed[Object.keys(changed)[0]!]).toEqual(['.values.0']);
  });

  it('replica mode: only replica counts of the two variants (and the canary weight annotation) change', () => {
    const at = (weight: number) => build({ ...registry, canary: { model: 'models:/churn/7', weight } });
    const changed = diff(at(10), at(20));
    expect(Object.keys(changed).sort()).toEqual([
      expect.stringMatching(/^kubernetes_deployment_v1\.Churn_Canary_/),
      expect.stringMatching(/^kubernetes_horizontal_pod_autoscaler_v2\.Churn_Canary_Autoscaler_/),
      expect.stringMatching(/^kubernetes_horizontal_pod_autoscaler_v2\.Churn_Stable_Autoscaler_/),
    ]);
    for (const paths of Object.values(changed)) {
      for (const p of paths) expect(p).toMatch(/^\.spec\.(min|max)_replicas$|canary-effective-weight$/);
    }
  });
});

describe('ModelDeployment: exposure and inference logs', () => {
  it('exposes through an Ingress with TLS from a cert-manager issuer', () => {
    const json = build({ ...registry, ingress: { host: 'churn.example.com', clusterIssuer: 'letsencrypt' } });
    const ing = resourceNamed(json, 'kubernetes_ingress_v1', 'churn');
    expect(ing.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(ing.spec.tls).toEqual([{ hosts: ['churn.example.com'], secret_name: 'churn-tls' }]);
    expect(ing.spec.rule[0].http.path[0].backend.service.name).toContain('Churn_Service');
    expect(resourceNamed(json, SVC, 'churn').spec.type).toBe('ClusterIP');
    expect(resourceNamed(json, NP, 'churn-model-ingress').spec.ingress[0].from).toContainEqual({
      namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
      pod_selector: {},
    });
  });

  it('gives the pods a writable inference-log location in the artifact store', () => {
    let uri: string | undefined;
    const json = synthStack((stack) => {
      const platform = new MlopsPlatform(stack, 'Platform');
      uri = new ModelDeployment(stack, 'Churn', { platform, ...registry, inferenceLogging: true }).inferenceLogUri;
    }).json;
    expect(uri).toBe('/mnt/artifacts/inference-logs/churn/');
    const c = container(json, 'churn');
    expect(envOf(c).MLOPS_INFERENCE_LOG_URI).toBe(uri);
    expect(c.volume_mount).toContainEqual(expect.objectContaining({ mount_path: '/mnt/artifacts', read_only: false }));
    expect(envOf(container(build(registry), 'churn')).MLOPS_INFERENCE_LOG_URI).toBeUndefined();
  });
});

describe('ModelDeployment: secure defaults', () => {
  it('every serving container runs non-root, read-only, without privileges, with resources', () => {
    const json = build({ ...registry, canary: { model: 'models:/churn/7', weight: 10 }, inferenceLogging: true });
    const serving = allContainers(json).filter((c) => c.pod.container.some((x: any) => x.name === 'model'));
    expect(serving).toHaveLength(2);
    expect(secureDefaultViolations(json)).toEqual([]);
  });
});

describe('ModelDeployment: validation', () => {
  const cases: [string, Props, RegExp][] = [
    ['weight above 100', { ...registry, canary: { model: 'models:/churn/7', weight: 101 } }, /canary\.weight: got 101; must be between 0 and 100/],
    ['negative weight', { ...registry, canary: { model: 'models:/churn/7', weight: -1 } }, /canary\.weight: got -1; must be between 0 and 100/],
    ['canary identical to stable', { ...registry, canary: { model: 'models:/churn@champion', weight: 10 } }, /canary\.model: got "models:\/churn@champion", identical to the stable version/],
    ['custom canary identical to stable', { ...custom, canary: { image: custom.image!, weight: 10 } }, /canary\.image: got .*identical/],
    ['canary of another kind', { ...registry, canary: { image: 'ghcr.io/acme/x:1.0', weight: 10 } }, /canary\.model: the canary must be the same kind/],
    ['image without tag', { name: 'fraud', image: 'ghcr.io/acme/fraud-api' }, /image: got "ghcr.io\/acme\/fraud-api"; has no tag/],
    ['minReplicas above maxReplicas', { ...registry, minReplicas: 5, maxReplicas: 3 }, /minReplicas: got 5; must be at most maxReplicas \(3\)/],
    ['both model and image', { ...registry, image: 'ghcr.io/acme/x:1.0' }, /model: got both model and image/],
    ['neither model nor image', {}, /model: got neither model nor image/],
    ['bad registry URI', { model: 'runs:/abc/model' }, /model: got "runs:\/abc\/model"; must be a registry URI/],
    ['image without name', { image: 'ghcr.io/acme/x:1.0' }, /name: is required with image/],
    ['custom-only prop on a registry model', { ...registry, port: 9000 }, /port: got 9000; only for a custom image/],
    ['fractional weight with a gateway', { ...registry, gateway: { name: 'g', namespace: 'gw' }, canary: { model: 'models:/churn/7', weight: 2.5 } }, /canary\.weight: got 2\.5; must be a whole number with a gateway/],
    ['ingress and gateway', { ...registry, gateway: { name: 'g', namespace: 'gw' }, ingress: { host: 'a.example.com' } }, /ingress: got both ingress and gateway/],
  ];
  for (const [what, props, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(() => build(props)).toThrow(message);
    });
  }
});
