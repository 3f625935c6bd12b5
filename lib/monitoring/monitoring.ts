import { Construct } from 'constructs';
import { z } from 'zod';
import { Release } from '@cdktf/provider-helm/lib/release';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { DataKubernetesSecretV1 } from '@cdktf/provider-kubernetes/lib/data-kubernetes-secret-v1';
import { Token } from '../core/cdktf';
import { parseProps } from '../core/props';
import { fail } from '../core/errors';
import { duration, k8sName, k8sNameOrToken, memoryQuantity } from '../core/validators';
import { standardLabels } from '../core/labels';
import { applyRemovalPolicy, removalPolicySchema, type RemovalPolicy } from '../core/removal';
import type { IMonitoringSink, ScrapeEndpoint, WatchTarget } from '../core/observability';
import { buildRuleGroups, renderRuleFile, ruleFileGroups, type RuleOptions } from './alert-rules';
import { buildObjectiveGroups, objectivesOf, OBJECTIVES_PER_GROUP, type ObjectiveGroup } from './objectives';
import { localChart } from '../core/assets';
import { canaryRuleGroups } from './canary-rules';
import { alertmanagerSecrets, buildAlertmanagerConfig, type AlertingProps } from './alertmanager-config';
import { buildScrapeConfigs } from './scrape-configs';
import { buildDashboards, type DashboardFile, type DashboardGroup } from './dashboards';
import { validateWatchTarget, watchKey } from './watch-validation';
import { generatedPassword } from '../core/providers';
import { lazyLiteralAny, lazyLiteralString } from '../core/literal';

export const KUBE_PROMETHEUS_STACK_VERSION = '88.6.5';
export const PUSHGATEWAY_CHART_VERSION = '3.2.0';
const CHART_REPOSITORY = 'https://prometheus-community.github.io/helm-charts';
/** Label and value Grafana's dashboard sidecar watches for. */
export const DASHBOARD_LABEL = { grafana_dashboard: '1' } as const;

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  /** @default 'monitoring' */
  readonly namespace?: string;
  /**
   * Create the namespace (labelled Pod Security `privileged`: node-exporter needs host access).
   * Set false to install into one that exists.
   * @default true
   */
  readonly createNamespace?: boolean;
  /** @default { kubePrometheusStack: '88.6.5', pushgateway: '3.2.0' } */
  readonly chartVersions?: { readonly kubePrometheusStack?: string; readonly pushgateway?: string };
  /** How long Prometheus keeps samples. @default '15d' */
  readonly retention?: string;
  /** Size after which Prometheus drops the oldest blocks, in Prometheus units (`45GB`). @default - no size limit */
  readonly retentionSize?: string;
  /** Prometheus volume. @default { size: '50Gi' } and the cluster's default storage class */
  readonly storage?: { readonly size?: string; readonly storageClassName?: string };
  /**
   * Existing Secret in the monitoring namespace with the Grafana admin credentials.
   * @default - a generated password in Secret `grafana-admin` (keys `admin-user`, `admin-password`)
   */
  readonly grafanaAdminSecret?: { readonly secretName: string; readonly userKey?: string; readonly passwordKey?: string };
  /** Receivers and routing. @default - no receivers: alerts visible in Alertmanager and Grafana only */
  readonly alerting?: AlertingProps;
  /** Windows of the generated alert rules. @default - see {@link RuleOptions} */
  readonly rules?: RuleOptions;
  /** The Pushgateway for batch jobs' metrics. @default { persistence: { size: '2Gi' } } */
  readonly pushgateway?: { readonly persistence?: { readonly size?: string; readonly storageClassName?: string } | false };
  /**
   * node-exporter, the per-node metrics DaemonSet, or `false` for none. Docker Desktop (and kind on
   * it) has no shared host root mount, so there node-exporter fails to start and the atomic
   * kube-prometheus-stack install rolls back: set `hostRootFsMount: false` for such laptop clusters
   * (prometheus-community/helm-charts#467); filesystem metrics of the host are then missing.
   * @default { hostRootFsMount: true }
   */
  readonly nodeExporter?: { readonly hostRootFsMount?: boolean } | false;
  /**
   * Whether Prometheus' volume (and the namespace holding it) survives a destroy.
   * `destroy` also deletes the volume when the Prometheus StatefulSet goes.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
}

const secretRef = z.strictObject({ secretName: k8sName, key: z.string().min(1) });
const severityMap = z.strictObject({
  critical: z.enum(['slack', 'pagerDuty', 'webhook', 'none']).optional(),
  warning: z.enum(['slack', 'pagerDuty', 'webhook', 'none']).optional(),
  info: z.enum(['slack', 'pagerDuty', 'webhook', 'none']).optional(),
});
const PROM_SIZE = /^\d+(?:\.\d+)?(?:B|KB|MB|GB|TB|PB|EB)$/;

const schema = z.strictObject({
  namespace: k8sName.default('monitoring'),
  createNamespace: z.boolean().default(true),
  chartVersions: z
    .strictObject({ kubePrometheusStack: z.string().min(1).optional(), pushgateway: z.string().min(1).optional() })
    .default({}),
  retention: duration.default('15d'),
  retentionSize: z.string().refine((v) => PROM_SIZE.test(v), { message: 'must be a Prometheus size such as "45GB" (units B, KB, MB, GB, TB, PB, EB)' }).optional(),
  storage: z.strictObject({ size: memoryQuantity.default('50Gi'), storageClassName: k8sNameOrToken.optional() }).default({ size: '50Gi' }),
  grafanaAdminSecret: z
    .strictObject({ secretName: k8sName, userKey: z.string().min(1).default('admin-user'), passwordKey: z.string().min(1).default('admin-password') })
    .optional(),
  alerting: z
    .strictObject({
      slack: z.strictObject({ webhookUrl: secretRef, channel: z.string().min(1).optional() }).optional(),
      pagerDuty: z.strictObject({ routingKey: secretRef }).optional(),
      webhook: z.strictObject({ url: z.url({ message: 'must be an http(s) URL' }), bearerToken: secretRef.optional() }).optional(),
      severityReceivers: severityMap.optional(),
      modelReceivers: z.record(k8sName, severityMap).optional(), // keys are model names (the `model` label)
      groupWait: duration.optional(),
      groupInterval: duration.optional(),
      repeatInterval: duration.optional(),
    })
    .default({}),
  rules: z
    .strictObject({
      runbookBaseUrl: z.url({ message: 'must be an http(s) URL' }).optional(),
      rateWindow: duration.optional(),
      latencyFor: duration.optional(),
      errorRateFor: duration.optional(),
      autoscalerPinnedFor: duration.optional(),
      trackingDownFor: duration.optional(),
    })
    .default({}),
  pushgateway: z
    .strictObject({
      persistence: z
        .union([z.literal(false), z.strictObject({ size: memoryQuantity.default('2Gi'), storageClassName: k8sNameOrToken.optional() })])
        .default({ size: '2Gi' }),
    })
    .default({ persistence: { size: '2Gi' } }),
  nodeExporter: z.union([z.literal(false), z.strictObject({ hostRootFsMount: z.boolean().default(true) })]).default({ hostRootFsMount: true }),
  removalPolicy: removalPolicySchema.default('retain'),
});

/**
 * Prometheus, Alertmanager and Grafana (kube-prometheus-stack) plus a
 * Pushgateway, configured entirely from what workloads register with
 * {@link watch}: scrape jobs, alert rules, the Alertmanager configuration and
 * dashboards are generated at synth time, so targets registered after this
 * construct was created are included.
 *
 * Nothing needs a CRD at plan time: scrape jobs go into
 * `additionalScrapeConfigs`, the fleet-wide alert rules into
 * `additionalPrometheusRulesMap` (the chart renders the PrometheusRule), the
 * per-workload objectives they join on into PrometheusRules of a local chart,
 * one release per {@link OBJECTIVES_PER_GROUP} series (`mlops-objectives-<n>`),
 * and dashboards into labelled ConfigMaps.
 */
export class Monitoring extends Construct implements IMonitoringSink {
  public readonly prometheusNamespace: string;
  public readonly pushgatewayUrl: string;
  /** In-cluster URL of Prometheus (e.g. for prometheus-adapter or Grafana elsewhere). */
  public readonly prometheusUrl: string;
  /** In-cluster URL of Alertmanager. */
  public readonly alertmanagerUrl: string;
  /** Name of the Grafana Service (port 80) in the monitoring namespace. */
  public readonly grafanaServiceName = 'kube-prometheus-stack-grafana';
  /** Secret with the Grafana admin credentials. */
  public readonly grafanaAdminSecretName: string;
  /** The kube-prometheus-stack release. */
  public readonly release: Release;
  /** The Pushgateway release. */
  public readonly pushgatewayRelease: Release;
  /** The namespace, when created here (holds Prometheus' volume). */
  public readonly namespaceResource?: NamespaceV1;
  /** Releases of the objective shards (`mlops-objectives-<n>`), in order. */
  public readonly objectiveReleases: Release[] = [];
  /** Dashboard ConfigMaps by group: `overview`, `models`, `training`, `drift`. */
  public readonly dashboardConfigMaps: Record<string, ConfigMapV1> = {};

  private readonly targets: WatchTarget[] = [];
  private readonly alertmanagerConfig: Record<string, unknown>;
  private readonly keys = new Set<string>();
  private readonly ruleOptions: RuleOptions;
  private readonly scrapeSecretCopies = new Map<string, string>();
  private readonly namespaceName: string;
  private objectiveCount = 0;
  private objectivesChart?: string;
  /** What is built from all targets once per synth, with the target count it was built for. */
  private readonly perSynth = new Map<string, { targets: number; value: unknown }>();

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.ruleOptions = p.rules;
    const alerting = p.alerting as AlertingProps;
    let alertmanagerConfig: Record<string, unknown>;
    try {
      alertmanagerConfig = buildAlertmanagerConfig(alerting);
    } catch (e) {
      fail(this.node.path, 'alerting', (e as Error).message);
    }
    this.alertmanagerConfig = alertmanagerConfig;
    const ns = p.namespace;
    this.namespaceName = ns;
    const labels = standardLabels({ name: 'monitoring', instance: ns, component: 'monitoring' });

    if (p.createNamespace) {
      this.namespaceResource = new NamespaceV1(this, 'Namespace', {
        metadata: {
          name: ns,
          labels: {
            ...standardLabels({ name: 'monitoring', instance: ns, component: 'namespace' }),
            'pod-security.kubernetes.io/enforce': 'privileged',
          },
        },
      });
      // Deleting the namespace deletes Prometheus' volume with it.
      applyRemovalPolicy(p.removalPolicy as RemovalPolicy, this.namespaceResource);
    }
    const namespaceRef = this.namespaceResource?.metadata.name ?? ns;
    this.prometheusNamespace = namespaceRef;
    this.pushgatewayUrl = `http://pushgateway.${ns}.svc.cluster.local:9091`;
    this.prometheusUrl = `http://kps-prometheus.${ns}.svc.cluster.local:9090`;
    this.alertmanagerUrl = `http://kps-alertmanager.${ns}.svc.cluster.local:9093`;

    let grafanaAdmin = p.grafanaAdminSecret;
    let grafanaAdminResource: SecretV1 | undefined;
    if (!grafanaAdmin) {
      const password = generatedPassword(this, 'GrafanaAdminPassword', 32);
      const secret = new SecretV1(this, 'GrafanaAdminSecret', {
        metadata: { name: 'grafana-admin', namespace: namespaceRef, labels },
        data: { 'admin-user': 'admin', 'admin-password': password.result },
        type: 'Opaque',
      });
      // The plain name, not the resource's reference: a token inside the (large) values string makes cdktf
      // rescan all of it at synth; the release depends on the Secret instead.
      grafanaAdmin = { secretName: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' };
      grafanaAdminResource = secret;
    }
    this.grafanaAdminSecretName = grafanaAdmin.secretName;

    const pushPersistence = p.pushgateway.persistence;
    this.pushgatewayRelease = new Release(this, 'Pushgateway', {
      name: 'pushgateway',
      repository: CHART_REPOSITORY,
      chart: 'prometheus-pushgateway',
      version: p.chartVersions.pushgateway ?? PUSHGATEWAY_CHART_VERSION,
      namespace: namespaceRef,
      atomic: true,
      cleanupOnFail: true,
      values: [
        JSON.stringify({
          fullnameOverride: 'pushgateway',
          serviceMonitor: { enabled: false },
          // Pushed series must survive a restart, or every batch job looks like it stopped reporting.
          // The chart only mounts the volume at /data; the gateway persists there when told to.
          persistentVolume: pushPersistence
            ? { enabled: true, size: pushPersistence.size, ...(pushPersistence.storageClassName ? { storageClass: pushPersistence.storageClassName } : {}) }
            : { enabled: false },
          ...(pushPersistence ? { extraArgs: ['--persistence.file=/data/pushgateway.data', '--persistence.interval=5m'] } : {}),
        }),
      ],
    });

    const prometheusSpec = {
      retention: p.retention,
      ...(p.retentionSize ? { retentionSize: p.retentionSize } : {}),
      storageSpec: {
        volumeClaimTemplate: {
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: p.storage.size } },
            ...(p.storage.storageClassName ? { storageClassName: p.storage.storageClassName } : {}),
          },
        },
      },
      ...(p.removalPolicy === 'destroy' ? { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } } : {}),
      // Select every rule, monitor and probe, not only those carrying this release's label.
      ruleSelectorNilUsesHelmValues: false,
      serviceMonitorSelectorNilUsesHelmValues: false,
      podMonitorSelectorNilUsesHelmValues: false,
      probeSelectorNilUsesHelmValues: false,
    };
    const values = () => ({
      fullnameOverride: 'kps',
      prometheus: {
        prometheusSpec: {
          ...prometheusSpec,
          additionalScrapeConfigs: buildScrapeConfigs(this.targets, {
            pushgatewayAddress: `pushgateway.${ns}.svc.cluster.local:9091`,
            basicAuthSecretName: (ep) => this.scrapeSecretCopies.get(scrapeSecretKey(ep))!,
          }),
          secrets: [...new Set(this.scrapeSecretCopies.values())],
        },
      },
      additionalPrometheusRulesMap: { mlops: { groups: [...buildRuleGroups(this.targets, this.ruleOptions), ...canaryRuleGroups(this.targets, this.ruleOptions)] } },
      ...(p.nodeExporter === false
        ? { nodeExporter: { enabled: false } }
        : p.nodeExporter.hostRootFsMount
          ? {}
          : { 'prometheus-node-exporter': { hostRootFsMount: { enabled: false } } }),
      alertmanager: {
        config: alertmanagerConfig,
        alertmanagerSpec: { secrets: alertmanagerSecrets(alerting) },
      },
      grafana: {
        admin: { existingSecret: grafanaAdmin.secretName, userKey: grafanaAdmin.userKey, passwordKey: grafanaAdmin.passwordKey },
        sidecar: {
          dashboards: { enabled: true, label: Object.keys(DASHBOARD_LABEL)[0], labelValue: Object.values(DASHBOARD_LABEL)[0], searchNamespace: 'ALL' },
        },
      },
    });
    this.release = new Release(this, 'Resource', {
      name: 'kube-prometheus-stack',
      repository: CHART_REPOSITORY,
      chart: 'kube-prometheus-stack',
      version: p.chartVersions.kubePrometheusStack ?? KUBE_PROMETHEUS_STACK_VERSION,
      namespace: namespaceRef,
      atomic: true,
      cleanupOnFail: true,
      // CRDs, the operator and Prometheus' volume take a while on a fresh cluster.
      timeout: 900,
      values: [lazyLiteralString(() => JSON.stringify(values()))],
      ...(grafanaAdminResource ? { dependsOn: [grafanaAdminResource] } : {}),
    });

    // Dashboards that aggregate all targets: one ConfigMap each, its data produced at synth time.
    for (const group of ['overview', 'models', 'training', 'drift'] as const) {
      this.dashboardConfigMaps[group] = this.dashboardConfigMap(`Dashboard-${group}`, `mlops-dashboard-${group}`, group, labels);
    }
  }

  /** Registers a workload. Call during construction (before synth). */
  public watch(target: WatchTarget): void {
    validateWatchTarget(this.node.path, target);
    const key = watchKey(target);
    if (this.keys.has(key)) fail(this.node.path, `watch(${key})`, `${key} is registered twice; each workload registers once`);
    this.keys.add(key);
    this.targets.push(target);
    this.objectiveCount += objectivesOf(target).length;
    while (this.objectiveReleases.length * OBJECTIVES_PER_GROUP < this.objectiveCount) this.addObjectiveShard();
    const scrape = target.kind === 'model' || target.kind === 'tracking-server' ? target.scrape : undefined;
    if (scrape?.basicAuth) this.copyScrapeSecret(scrape);
  }

  /**
   * The generated rule file (alert rules and the objective series they join on) and Alertmanager
   * configuration for the targets registered so far, exactly as shipped; for CI to run
   * `promtool check rules` and `amtool check-config` on (JSON is valid YAML).
   */
  public renderConfigFiles(): { readonly 'rules.json': string; readonly 'alertmanager.json': string } {
    return {
      'rules.json': renderRuleFile([...ruleFileGroups(this.targets, this.ruleOptions), ...canaryRuleGroups(this.targets, this.ruleOptions)]),
      'alertmanager.json': JSON.stringify(this.alertmanagerConfig, null, 2) + '\n',
    };
  }

  /** The targets registered so far. */
  public get watched(): readonly WatchTarget[] {
    return [...this.targets];
  }

  /** A release of the local chart holding objective group `n`, its values produced at synth. */
  private addObjectiveShard(): void {
    const n = this.objectiveReleases.length;
    const name = `mlops-objectives-${n}`;
    this.objectivesChart ??= localChart(this, 'ObjectivesChart', 'monitoring', 'mlops-objectives');
    const labels = standardLabels({ name: 'monitoring', instance: this.namespaceName, component: 'objectives' });
    this.objectiveReleases.push(new Release(this, `Objectives-${n}`, {
      name,
      chart: this.objectivesChart,
      namespace: this.prometheusNamespace,
      atomic: true,
      cleanupOnFail: true,
      // The PrometheusRule CRD comes with kube-prometheus-stack.
      dependsOn: [this.release],
      values: [lazyLiteralString(() => JSON.stringify({ name, labels, groups: [this.objectiveGroups()[n] ?? { name, rules: [] }] }))],
    }));
  }

  /**
   * `build()` of all targets, computed once per synth rather than once per shard or ConfigMap that reads it
   * (again when targets were added since).
   */
  private fromTargets<T>(key: string, build: (targets: readonly WatchTarget[]) => T): T {
    let entry = this.perSynth.get(key);
    if (entry?.targets !== this.targets.length) this.perSynth.set(key, (entry = { targets: this.targets.length, value: build(this.targets) }));
    return entry.value as T;
  }

  private objectiveGroups(): ObjectiveGroup[] {
    return this.fromTargets('objectives', buildObjectiveGroups);
  }

  private dashboards(): DashboardFile[] {
    return this.fromTargets('dashboards', buildDashboards);
  }

  private dashboardConfigMap(id: string, name: string, group: DashboardGroup, labels: Record<string, string>): ConfigMapV1 {
    return new ConfigMapV1(this, id, {
      metadata: { name, namespace: this.prometheusNamespace, labels: { ...labels, ...DASHBOARD_LABEL } },
      data: lazyLiteralAny(() =>
        Object.fromEntries(this.dashboards().filter((d) => d.group === group).map((d) => [d.fileName, JSON.stringify(d.dashboard)])),
      ) as unknown as Record<string, string>,
    });
  }

  /**
   * Prometheus mounts Secrets only from its own namespace, so a scrape
   * target's basic-auth Secret is copied there. The copy reads the source
   * Secret at apply time: its values live in Terraform state (as the
   * generated password already does), never in the synthesized JSON.
   */
  private copyScrapeSecret(ep: ScrapeEndpoint): void {
    const key = scrapeSecretKey(ep);
    if (this.scrapeSecretCopies.has(key)) return;
    const auth = ep.basicAuth!;
    // Names and ids must be literal: a namespace or Secret name given as a token is replaced by a counter.
    const literal = (v: string) => (Token.isUnresolved(v) ? String(this.scrapeSecretCopies.size) : v);
    const nsPart = literal(ep.namespace);
    const secretPart = literal(auth.secretName);
    const id = `ScrapeAuth-${nsPart}-${secretPart}`;
    // A Secret name given as a reference also defers this read to apply time, after the Secret exists.
    const source = new DataKubernetesSecretV1(this, `${id}-Source`, { metadata: { name: auth.secretName, namespace: ep.namespace } });
    const name = `scrape-${nsPart}-${secretPart}`.slice(0, 63).replace(/-+$/, '');
    new SecretV1(this, id, {
      metadata: { name, namespace: this.prometheusNamespace, labels: standardLabels({ name: 'monitoring', instance: this.namespaceName, component: 'scrape-credentials' }) },
      data: {
        [auth.usernameKey]: source.data.lookup(auth.usernameKey),
        [auth.passwordKey]: source.data.lookup(auth.passwordKey),
      },
      type: 'Opaque',
    });
    this.scrapeSecretCopies.set(key, name);
  }
}

function scrapeSecretKey(ep: ScrapeEndpoint): string {
  return `${ep.namespace}/${ep.basicAuth!.secretName}`;
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const monitoringSchema = schema;
