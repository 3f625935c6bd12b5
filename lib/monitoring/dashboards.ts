import { DashboardBuilder, QueryVariableBuilder, RowBuilder, ThresholdsConfigBuilder, ThresholdsMode, VariableHide, VariableRefresh, VariableSort, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { GraphThresholdsStyleMode, LegendDisplayMode, LegendPlacement } from '@grafana/grafana-foundation-sdk/common';
import type { DriftWatch, ModelWatch, TrackingServerWatch, TrainingWatch, WatchTarget } from '../core/observability';
import { histogramBase, scrapeJobName } from './alert-rules';
import { OBJECTIVES } from './objectives';
import { addCanaryJudge } from './canary-dashboard';

/**
 * Grafana dashboards built with the Grafana Foundation SDK from the registered
 * targets: a platform overview, a model dashboard, training and drift.
 * Monitoring ships them as ConfigMaps that Grafana's sidecar loads.
 *
 * None of them grows with the fleet: they select workloads with `namespace`,
 * `model` and `training` variables read from the objective series (the model
 * dashboard one model at a time, the others repeating their rows per selected
 * workload).
 *
 * Queries use Grafana's `$__rate_interval` and never `${...}` (Terraform would
 * read it as an interpolation inside the synthesized JSON).
 */

/** Which ConfigMap a dashboard is shipped in. */
export type DashboardGroup = 'overview' | 'models' | 'training' | 'drift';

export interface DashboardFile {
  readonly group: DashboardGroup;
  /** Key in the ConfigMap, e.g. `mlops-model-serving-churn.json`. */
  readonly fileName: string;
  /** The dashboard JSON model, as Grafana loads it. */
  readonly dashboard: DashboardJson;
}

/**
 * A Grafana dashboard's JSON model. Our own type rather than the SDK's, so the
 * published typings do not import the Grafana SDK (whose subpath exports do not
 * resolve under `moduleResolution: node`, the cdktf project template's default).
 */
export interface DashboardJson {
  readonly uid?: string;
  readonly title?: string;
  readonly panels?: readonly Record<string, unknown>[];
  readonly [key: string]: unknown;
}

/**
 * Drops what Grafana assumes anyway (a query's datasource equal to its panel's, `transparent: false`,
 * a repeat direction without a repeat, empty overrides and custom settings), so the dashboards Grafana
 * loads stay short.
 */
function compact(d: Dashboard): DashboardJson {
  const panels = (d.panels ?? []).map((panel) => {
    const p = { ...(panel as unknown as Record<string, unknown>) };
    if (p.transparent === false) delete p.transparent;
    if (!p.repeat && p.repeatDirection === 'h') delete p.repeatDirection;
    const same = JSON.stringify(p.datasource);
    if (Array.isArray(p.targets)) p.targets = p.targets.map((t: Record<string, unknown>) => (JSON.stringify(t.datasource) === same ? (({ datasource: _d, ...rest }) => rest)(t) : t));
    const fc = p.fieldConfig as { defaults?: Record<string, unknown>; overrides?: unknown[] } | undefined;
    if (fc) {
      const defaults = { ...fc.defaults };
      if (defaults.custom && Object.keys(defaults.custom as object).length === 0) delete defaults.custom;
      p.fieldConfig = { defaults, ...(fc.overrides?.length ? { overrides: fc.overrides } : {}) };
    }
    return p;
  });
  return { ...(d as unknown as Record<string, unknown>), panels };
}

const DATASOURCE = { type: 'prometheus', uid: 'prometheus' };
const TAGS = ['mlops', 'cdktf-mlops'];
const RATE = '[$__rate_interval]';

function q(expr: string, legend?: string): DataqueryBuilder {
  const b = new DataqueryBuilder().expr(expr).datasource(DATASOURCE);
  return legend ? b.legendFormat(legend) : b;
}

function series(title: string, unit: string, queries: DataqueryBuilder[], opts: { span?: number; max?: number; threshold?: number } = {}): TimeseriesBuilder {
  const b = new TimeseriesBuilder()
    .title(title)
    .unit(unit)
    .datasource(DATASOURCE)
    .span(opts.span ?? 12)
    .height(8)
    .legend({ build: () => ({ displayMode: LegendDisplayMode.List, placement: LegendPlacement.Bottom, showLegend: true, calcs: [] }) })
    .targets(queries);
  if (opts.max !== undefined) b.max(opts.max);
  if (opts.threshold !== undefined) {
    // Objectives and budgets drawn as a red line, so a breach is visible at a glance.
    b.thresholds(steps(opts.threshold)).thresholdsStyle({ build: () => ({ mode: GraphThresholdsStyleMode.Line }) });
  }
  return b;
}

function stat(title: string, unit: string, query: DataqueryBuilder, redAbove?: number, span = 6): StatBuilder {
  const b = new StatBuilder().title(title).unit(unit).datasource(DATASOURCE).span(span).height(4).withTarget(query);
  if (redAbove !== undefined) b.thresholds(steps(redAbove));
  return b;
}

function steps(redAbove: number): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value: redAbove, color: 'red' },
  ]);
}

function dashboard(uid: string, title: string): DashboardBuilder {
  return new DashboardBuilder(title).uid(uid).tags(TAGS).refresh('30s').time({ from: 'now-6h', to: 'now' }).timezone('browser').readonly();
}

/** A multi-value variable with "All", its values the label values of a query. */
function variable(name: string, label: string, labelValuesOf: string, label_ = name): QueryVariableBuilder {
  const query = `label_values(${labelValuesOf}, ${label_})`;
  return new QueryVariableBuilder(name).label(label).datasource(DATASOURCE).query(query).definition(query)
    .multi(true).includeAll(true).refresh(VariableRefresh.OnTimeRangeChanged).sort(VariableSort.AlphabeticalAsc);
}

const NS = 'namespace=~"$namespace"';

function overview(targets: readonly WatchTarget[]): Dashboard {
  const d = dashboard('mlops-overview', 'MLOps / Platform overview');
  for (const t of targets.filter((x): x is TrackingServerWatch => x.kind === 'tracking-server')) {
    const sel = `job="${scrapeJobName(t)}"`;
    d.withRow(new RowBuilder(`Tracking server ${t.name}`))
      .withPanel(stat('Replicas up', 'none', q(`sum(up{${sel}})`), undefined, 6))
      .withPanel(stat('Error rate (5xx)', 'percentunit', q(`sum(rate(mlflow_http_request_total{${sel}, status=~"5.."}${RATE})) / sum(rate(mlflow_http_request_total{${sel}}${RATE}))`), 0.01, 6))
      .withPanel(stat('p95 latency', 's', q(`histogram_quantile(0.95, sum by (le) (rate(mlflow_http_request_duration_seconds_bucket{${sel}}${RATE})))`), undefined, 6))
      .withPanel(stat('Requests per second', 'reqps', q(`sum(rate(mlflow_http_request_total{${sel}}${RATE}))`), undefined, 6))
      .withPanel(series('Request rate by status', 'reqps', [q(`sum by (status) (rate(mlflow_http_request_total{${sel}}${RATE}))`, '{{status}}')], { span: 12 }))
      .withPanel(series('Latency', 's', [0.5, 0.95, 0.99].map((p) => q(`histogram_quantile(${p}, sum by (le) (rate(mlflow_http_request_duration_seconds_bucket{${sel}}${RATE})))`, `p${p * 100}`)), { span: 12 }))
      // Database and artifact volumes in the tracking server's namespace (kubelet volume stats).
      .withPanel(series('Volume usage', 'percentunit', [q(`kubelet_volume_stats_used_bytes{namespace="${t.scrape.namespace}"} / kubelet_volume_stats_capacity_bytes{namespace="${t.scrape.namespace}"}`, '{{persistentvolumeclaim}}')], { span: 24, max: 1, threshold: 0.85 }));
  }
  const models = targets.filter((x): x is ModelWatch => x.kind === 'model');
  if (models.length) {
    // One query per metric naming (the library's server has one), whatever the number of models.
    const namings = [...new Map(models.map((m) => [`${m.metrics.requestsTotal} ${m.metrics.statusLabel} ${histogramBase(m.metrics.requestDuration)}`, m])).values()];
    const sel = `${NS}, model=~"$model"`;
    d.withVariable(variable('namespace', 'Namespace', OBJECTIVES.latency))
      .withVariable(variable('model', 'Model', `${OBJECTIVES.latency}{${NS}}`))
      .withRow(new RowBuilder('Models'))
      .withPanel(series('Requests per second by model', 'reqps', namings.map((m) => q(`sum by (namespace, model) (rate(${m.metrics.requestsTotal}{${sel}}${RATE}))`, '{{namespace}}/{{model}}'))))
      .withPanel(series('Error rate by model', 'percentunit', namings.map((m) => q(`sum by (namespace, model) (rate(${m.metrics.requestsTotal}{${sel}, ${m.metrics.statusLabel}=~"5.."}${RATE})) / sum by (namespace, model) (rate(${m.metrics.requestsTotal}{${sel}}${RATE}))`, '{{namespace}}/{{model}}'))))
      // Each model against its own objectives: above 1 is a breach, whatever the objective.
      .withPanel(series('p95 latency / objective', 'none', namings.map((m) => q(`histogram_quantile(0.95, sum by (namespace, model, le) (rate(${histogramBase(m.metrics.requestDuration)}_bucket{${sel}}${RATE}))) / on (namespace, model) group_left () ${OBJECTIVES.latency}`, '{{namespace}}/{{model}}')), { threshold: 1 }))
      .withPanel(series('Error rate / budget', 'none', namings.map((m) => q(`sum by (namespace, model) (rate(${m.metrics.requestsTotal}{${sel}, ${m.metrics.statusLabel}=~"5.."}${RATE})) / sum by (namespace, model) (rate(${m.metrics.requestsTotal}{${sel}}${RATE})) / on (namespace, model) group_left () ${OBJECTIVES.errorBudget}`, '{{namespace}}/{{model}}')), { threshold: 1 }));
  }
  d.withRow(new RowBuilder('Alerts'))
    .withPanel(series('Firing MLOps alerts', 'none', [q('sum by (alertname, model) (ALERTS{alertstate="firing", alertname=~"Mlops.*"})', '{{alertname}} {{model}}')], { span: 24 }));
  return d.build();
}

/**
 * One "Model" dashboard for every model: pick a namespace and a model, and every panel shows that
 * model against its own objectives, read from the objective series the alerts join on (drawn as an
 * `objective` / `budget` line). Its Deployments and autoscaler come from the objective series too
 * (hidden `deployment` and `hpa` variables), so the dashboard is the same size for 1 or 1,000 models.
 */
function model(models: readonly ModelWatch[]): Dashboard {
  const sel = 'namespace="$namespace", model="$model"';
  // One query per metric naming (the library's server has one): only the picked model's naming returns data.
  const namings = [...new Map(models.map((m) => [`${m.metrics.requestsTotal} ${m.metrics.statusLabel} ${histogramBase(m.metrics.requestDuration)}`, m.metrics])).values()];
  const errors = (legend: string, extra = '') => namings.map((n) =>
    q(`sum by (variant) (rate(${n.requestsTotal}{${sel}${extra}, ${n.statusLabel}=~"5.."}${RATE})) / sum by (variant) (rate(${n.requestsTotal}{${sel}${extra}}${RATE}))`, legend));
  const quantile = (p: number, legend: string, extra = '') => namings.map((n) =>
    q(`histogram_quantile(${p}, sum by (le, variant) (rate(${histogramBase(n.requestDuration)}_bucket{${sel}${extra}}${RATE})))`, legend));
  const latencyObjective = q(`max(${OBJECTIVES.latency}{${sel}})`, 'objective');
  const errorBudget = q(`max(${OBJECTIVES.errorBudget}{${sel}})`, 'budget');
  const ns = 'namespace="$namespace"';
  const pods = `${ns}, pod=~"$deployment-.*", container!="", container!="POD"`;
  const d = dashboard('mlops-model', 'MLOps / Model')
    .description('Serving metrics of one model against its objectives (p95 latency, error budget); pick the namespace and the model.')
    .withVariable(single('namespace', 'Namespace', OBJECTIVES.latency))
    .withVariable(single('model', 'Model', `${OBJECTIVES.latency}{${ns}}`))
    .withVariable(hidden('deployment', `${OBJECTIVES.deployment}{${sel}}`))
    .withVariable(hidden('hpa', `${OBJECTIVES.autoscaler}{${sel}}`, 'horizontalpodautoscaler'))
    .withRow(new RowBuilder('Traffic and objectives'))
    .withPanel(series('Requests per second by variant', 'reqps', namings.map((n) => q(`sum by (variant) (rate(${n.requestsTotal}{${sel}}${RATE}))`, '{{variant}}'))))
    .withPanel(series('Error rate by variant (5xx)', 'percentunit', [...errors('{{variant}}'), errorBudget]))
    .withPanel(series('Latency p50 / p95 / p99', 's', [...[0.5, 0.95, 0.99].flatMap((p) => quantile(p, `p${p * 100} {{variant}}`)), latencyObjective], { span: 24 }))
    .withRow(new RowBuilder('Canary vs stable'))
    .withPanel(series('p95 latency: stable', 's', [...quantile(0.95, 'stable', ', variant="stable"'), latencyObjective]))
    .withPanel(series('p95 latency: canary', 's', [...quantile(0.95, 'canary', ', variant="canary"'), latencyObjective]))
    .withPanel(series('Error rate: stable', 'percentunit', [...errors('stable', ', variant="stable"'), errorBudget]))
    .withPanel(series('Error rate: canary', 'percentunit', [...errors('canary', ', variant="canary"'), errorBudget]))
    .withRow(new RowBuilder('Capacity'))
    .withPanel(series('Replicas vs autoscaler bounds', 'none', [
      q(`kube_deployment_status_replicas_available{${ns}, deployment=~"$deployment"}`, 'available {{deployment}}'),
      q(`kube_deployment_spec_replicas{${ns}, deployment=~"$deployment"}`, 'desired {{deployment}}'),
      q(`kube_horizontalpodautoscaler_spec_min_replicas{${ns}, horizontalpodautoscaler=~"$hpa"}`, 'autoscaler min'),
      q(`kube_horizontalpodautoscaler_spec_max_replicas{${ns}, horizontalpodautoscaler=~"$hpa"}`, 'autoscaler max'),
    ], { span: 8 }))
    .withPanel(series('CPU vs requests', 'short', [
      q(`sum by (pod) (rate(container_cpu_usage_seconds_total{${pods}}${RATE}))`, 'used {{pod}}'),
      q(`sum by (pod) (kube_pod_container_resource_requests{${pods}, resource="cpu"})`, 'requested {{pod}}'),
    ], { span: 8 }))
    .withPanel(series('Memory vs requests', 'bytes', [
      q(`sum by (pod) (container_memory_working_set_bytes{${pods}})`, 'used {{pod}}'),
      q(`sum by (pod) (kube_pod_container_resource_requests{${pods}, resource="memory"})`, 'requested {{pod}}'),
    ], { span: 8 }));
  // The judge's row shows data for models with `canary.judge` only (the others push no `mlops_canary_*`).
  if (models.some((m) => m.canaryJudge)) addCanaryJudge(d, sel);
  return d.build();
}

/** A single-value variable, its values the label values of a query. */
function single(name: string, label: string, labelValuesOf: string): QueryVariableBuilder {
  return variable(name, label, labelValuesOf).multi(false).includeAll(false);
}

/** A hidden multi-value variable other queries select with (`=~"$name"`). */
function hidden(name: string, labelValuesOf: string, label = name): QueryVariableBuilder {
  return variable(name, name, labelValuesOf, label).hide(VariableHide.HideVariable);
}

function training(jobs: readonly TrainingWatch[]): Dashboard {
  const d = dashboard('mlops-training', 'MLOps / Training');
  if (!jobs.length) return d.build();
  const cron = `${OBJECTIVES.trainingCronJob}{${NS}, training="$training"}`;
  const oneOff = `${OBJECTIVES.trainingJob}{${NS}, training="$training"}`;
  // The Jobs of the training in this row: those its CronJob owns, or its one-off Job.
  const owner =
    `max by (namespace, job_name) ((label_replace(kube_job_owner{${NS}, owner_kind="CronJob"}, "cronjob", "$1", "owner_name", "(.+)")` +
    ` * on (namespace, cronjob) group_left () (${cron} >= bool 0)) or on (namespace, job_name) ${oneOff})`;
  const ofJobs = (metric: string) => `${metric}{${NS}} * on (namespace, job_name) group_left () ${owner}`;
  const lastSuccess = `max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${NS}}) * on (namespace, cronjob) group_left () (${cron} >= bool 0)`;
  d.withVariable(variable('namespace', 'Namespace', `{__name__=~"${OBJECTIVES.trainingCronJob}|${OBJECTIVES.trainingJob}"}`))
    .withVariable(variable('training', 'Training', `{__name__=~"${OBJECTIVES.trainingCronJob}|${OBJECTIVES.trainingJob}", ${NS}}`))
    .withRow(new RowBuilder('Training $training').repeat('training'))
    .withPanel(stat('Runs succeeded (kept in history)', 'none', q(`count(${ofJobs('kube_job_status_succeeded')} > 0) or vector(0)`), undefined, 6))
    .withPanel(stat('Runs failed (kept in history)', 'none', q(`count(${ofJobs('kube_job_status_failed')} > 0) or vector(0)`), 0.5, 6))
    // Against the training's own limit (1.5 periods): above 1 means retraining was missed.
    .withPanel(stat('Time since last success / limit', 'none', q(`max((time() - ${lastSuccess}) / on (namespace, cronjob) group_left () (${cron} > 0))`), 1, 6))
    .withPanel(stat('Time since last success', 's', q(`time() - max(${lastSuccess} or max by (namespace, job_name) (${ofJobs('kube_job_status_completion_time')}))`), undefined, 6))
    .withPanel(series('Run duration', 's', [q(`(${ofJobs('kube_job_status_completion_time')}) - (${ofJobs('kube_job_status_start_time')})`, '{{job_name}}')], { span: 24 }));
  return d.build();
}

function drift(monitors: readonly DriftWatch[]): Dashboard {
  const d = dashboard('mlops-drift', 'MLOps / Drift');
  if (!monitors.length) return d.build();
  const m = `${NS}, model="$model"`;
  const staleAfter = `on (namespace, model) group_left () ${OBJECTIVES.drift}`;
  d.withVariable(variable('namespace', 'Namespace', OBJECTIVES.drift))
    .withVariable(variable('model', 'Model', `${OBJECTIVES.drift}{${NS}}`))
    .withRow(new RowBuilder('Model $model').repeat('model'))
    .withPanel(stat('Drift detected', 'none', q(`max(mlops_drift_detected{${m}})`), 0.5, 6))
    .withPanel(stat('Share of features drifted', 'percentunit', q(`max(mlops_drift_share{${m}})`), undefined, 6))
    // Against the monitor's own limit (1.5 periods): above 1 means the check stopped reporting.
    .withPanel(stat('Since last run / limit', 'none', q(`max((time() - max by (namespace, model) (mlops_drift_last_run_timestamp_seconds{${m}})) / ${staleAfter})`), 1, 6))
    .withPanel(stat('Since last successful run / limit', 'none', q(`max((time() - max by (namespace, model) (mlops_drift_last_success_timestamp_seconds{${m}})) / ${staleAfter})`), 1, 6))
    .withPanel(series('Per-feature drift score (PSI)', 'none', [q(`max by (feature) (mlops_drift_feature_psi{${m}})`, '{{feature}}')]))
    .withPanel(series('Drifted features', 'none', [q(`max by (feature) (mlops_drift_feature_drifted{${m}})`, '{{feature}}')], { max: 1 }))
    .withPanel(series('Drift flag', 'none', [q(`max(mlops_drift_detected{${m}})`, 'drift detected')], { span: 24, max: 1 }));
  return d.build();
}

/** All dashboards for the targets: overview, model, training and drift, each the same size for 1 or 1,000 workloads. */
export function buildDashboards(targets: readonly WatchTarget[]): DashboardFile[] {
  return [
    { group: 'overview', fileName: 'mlops-overview.json', dashboard: compact(overview(targets)) },
    { group: 'models', fileName: 'mlops-model.json', dashboard: compact(model(targets.filter((x): x is ModelWatch => x.kind === 'model'))) },
    { group: 'training', fileName: 'mlops-training.json', dashboard: compact(training(targets.filter((x): x is TrainingWatch => x.kind === 'training'))) },
    { group: 'drift', fileName: 'mlops-drift.json', dashboard: compact(drift(targets.filter((x): x is DriftWatch => x.kind === 'drift'))) },
  ];
}
