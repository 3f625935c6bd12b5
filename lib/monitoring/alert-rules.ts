import type { DriftWatch, ModelWatch, TrackingServerWatch, WatchTarget } from '../core/observability';
import { formatDuration } from '../core/validators';
import { buildObjectiveGroups, driftStaleAfterSeconds, OBJECTIVES, type ObjectiveGroup } from './objectives';

export type { ObjectiveGroup } from './objectives';

/**
 * Prometheus alert rules generated from the registered {@link WatchTarget}s.
 * Models, training jobs and drift monitors share fleet-wide rules that join on
 * each workload's objectives, kept as data (see `objectives.ts`), so the rules
 * do not grow with the fleet: a rule per alert, plus one per distinct
 * `for` window (drift) or metric naming (models). Tracking servers keep a rule
 * group each. Pure functions, so tests feed the very same output to
 * `promtool check rules` and `promtool test rules`.
 */

export type Severity = 'critical' | 'warning' | 'info';

/** One alerting rule, in Prometheus rule-file shape. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** Omitted when the alert fires on the first failing evaluation. */
  readonly for?: string;
  /**
   * Static labels. Fleet-wide rules take `severity`, `namespace` and `model` from the series they join
   * on, and set helper labels of the objective series to `''`, which removes them from the alert.
   */
  readonly labels: { readonly component: string; readonly severity?: Severity } & Record<string, string>;
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

/** One rule group, in Prometheus rule-file shape. */
export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: AlertRule[];
}

/** Windows of the generated rules (thresholds come from the watch targets). */
export interface RuleOptions {
  /**
   * Base URL of the runbooks; each alert links to `<base>#<alertname in lower case>`.
   * @default DEFAULT_RUNBOOK_BASE_URL
   */
  readonly runbookBaseUrl?: string;
  /** Window of `rate()` for request and error rates. @default '5m' */
  readonly rateWindow?: string;
  /** How long p95 latency must exceed its objective. @default '10m' */
  readonly latencyFor?: string;
  /** How long the error ratio must exceed its budget. @default '5m' */
  readonly errorRateFor?: string;
  /** How long an autoscaler must sit at its maximum. @default '15m' */
  readonly autoscalerPinnedFor?: string;
  /** How long the tracking server must be unreachable. @default '5m' */
  readonly trackingDownFor?: string;
}

export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/cdktf-mlops/cdktf-mlops/blob/main/docs/runbooks.md';

/** Alert names, a public contract of routes, silences and inhibitions. */
export const ALERTS = {
  trackingDown: 'MlopsTrackingServerDown',
  modelLatency: 'MlopsModelLatencyHigh',
  modelErrors: 'MlopsModelErrorRateHigh',
  autoscalerPinned: 'MlopsModelAutoscalerPinned',
  trainingFailed: 'MlopsTrainingJobFailed',
  retrainingMissed: 'MlopsRetrainingMissed',
  driftDetected: 'MlopsDriftDetected',
  driftStopped: 'MlopsDriftStoppedReporting',
  driftCheckFailed: 'MlopsDriftCheckFailed',
} as const;

/**
 * The Prometheus scrape job of a tracking server; rules and scrape configs agree on it through this
 * function. Models share one job (`mlops/models`); their rules select by the `model` label.
 */
export function scrapeJobName(target: TrackingServerWatch): string {
  return `mlops/tracking/${target.scrape.namespace}/${target.name}`;
}

/** Name of the histogram without its `_bucket` suffix (targets may give either). */
export function histogramBase(name: string): string {
  return name.replace(/_bucket$/, '');
}

/**
 * The alert rule groups: one per tracking server, then `mlops-models`,
 * `mlops-training` and `mlops-drift` for the fleet (each only when such
 * workloads are registered). They join on the objective groups
 * ({@link buildObjectiveGroups}), which Prometheus must load too.
 */
export function buildRuleGroups(targets: readonly WatchTarget[], opts: RuleOptions = {}): RuleGroup[] {
  const o = {
    runbookBaseUrl: opts.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL,
    rateWindow: opts.rateWindow ?? '5m',
    latencyFor: opts.latencyFor ?? '10m',
    errorRateFor: opts.errorRateFor ?? '5m',
    autoscalerPinnedFor: opts.autoscalerPinnedFor ?? '15m',
    trackingDownFor: opts.trackingDownFor ?? '5m',
  };
  const runbook = (alert: string) => `${o.runbookBaseUrl}#${alert.toLowerCase()}`;
  const groups: RuleGroup[] = [];
  for (const t of targets) {
    if (t.kind === 'tracking-server') groups.push({ name: `mlops-tracking-${t.scrape.namespace}-${t.name}`, rules: trackingRules(t, o, runbook) });
  }
  const models = targets.filter((t): t is ModelWatch => t.kind === 'model');
  if (models.length) groups.push({ name: 'mlops-models', rules: modelRules(models, o, runbook) });
  const training = targets.filter((t) => t.kind === 'training');
  if (training.length) groups.push({ name: 'mlops-training', rules: trainingRules(training.some((t) => t.cronJobName), training.some((t) => t.schedulePeriodSeconds && t.cronJobName), training.some((t) => t.jobName), runbook) });
  const drift = targets.filter((t): t is DriftWatch => t.kind === 'drift');
  if (drift.length) groups.push({ name: 'mlops-drift', rules: driftRules(drift, runbook) });
  return groups;
}

/** The alert rules and the objectives they join on, as one list of groups (for a rule file). */
export function ruleFileGroups(targets: readonly WatchTarget[], opts: RuleOptions = {}): (RuleGroup | ObjectiveGroup)[] {
  return [...buildRuleGroups(targets, opts), ...buildObjectiveGroups(targets)];
}

/** The rule file as text. JSON is valid YAML, and promtool and the chart accept it. */
export function renderRuleFile(groups: readonly (RuleGroup | ObjectiveGroup)[]): string {
  return JSON.stringify({ groups }, null, 2) + '\n';
}

type Opts = Required<RuleOptions>;
type Runbook = (alert: string) => string;

/** A PromQL string literal. */
function q(value: string): string {
  return JSON.stringify(value);
}

/** Distinct values in first-seen order. */
function distinct<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const i of items) if (!seen.has(key(i))) seen.set(key(i), i);
  return [...seen.values()];
}

function trackingRules(t: TrackingServerWatch, o: Opts, runbook: Runbook): AlertRule[] {
  const job = q(scrapeJobName(t));
  return [
    {
      alert: ALERTS.trackingDown,
      // No replica answering, or no target discovered at all (absent).
      expr: `sum(up{job=${job}}) == 0 or absent(up{job=${job}})`,
      for: o.trackingDownFor,
      labels: { severity: 'critical', component: 'tracking', namespace: t.scrape.namespace, tracking_server: t.name },
      annotations: {
        summary: `MLflow tracking server ${t.name} is down`,
        description: `No replica of tracking server ${t.name} in namespace ${t.scrape.namespace} has answered Prometheus for ${o.trackingDownFor}. Training, registration and drift checks that talk to it fail.`,
        runbook_url: runbook(ALERTS.trackingDown),
      },
    },
  ];
}

const BY_MODEL = 'on (namespace, model)';

function modelRules(models: readonly ModelWatch[], o: Opts, runbook: Runbook): AlertRule[] {
  // One latency and one error rule; a model whose server names its metrics differently adds a term to each.
  const namings = distinct(models, (x) => `${histogramBase(x.metrics.requestDuration)} ${x.metrics.requestsTotal} ${x.metrics.statusLabel}`);
  const either = (terms: string[]) => (terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`);
  const p95 = either(namings.map((m) =>
    `histogram_quantile(0.95, sum by (namespace, model, le, variant) (rate(${histogramBase(m.metrics.requestDuration)}_bucket{model!=""}[${o.rateWindow}])))`));
  const errorRatio = either(namings.map((m) =>
    `sum by (namespace, model, variant) (rate(${m.metrics.requestsTotal}{model!="", ${m.metrics.statusLabel}=~"5.."}[${o.rateWindow}]))` +
    ` / sum by (namespace, model, variant) (rate(${m.metrics.requestsTotal}{model!=""}[${o.rateWindow}]))`));
  const rules: AlertRule[] = [
    {
      alert: ALERTS.modelLatency,
      expr: `${p95} > ${BY_MODEL} group_left (severity, objective) ${OBJECTIVES.latency}`,
      for: o.latencyFor,
      labels: { component: 'model', objective: '' },
      annotations: {
        summary: 'Model {{ $labels.model }} p95 latency above its {{ $labels.objective }}s objective',
        description: `p95 latency of model {{ $labels.model }} ({{ $labels.variant }}) is {{ $value | humanizeDuration }}, above the {{ $labels.objective }}s objective for ${o.latencyFor}.`,
        runbook_url: runbook(ALERTS.modelLatency),
      },
    },
    {
      alert: ALERTS.modelErrors,
      expr: `${errorRatio} > ${BY_MODEL} group_left (severity, budget) ${OBJECTIVES.errorBudget}`,
      for: o.errorRateFor,
      labels: { component: 'model', budget: '' },
      annotations: {
        summary: 'Model {{ $labels.model }} error rate above its {{ $labels.budget }}% budget',
        description: `{{ $value | humanizePercentage }} of requests to model {{ $labels.model }} ({{ $labels.variant }}) failed with 5xx over ${o.rateWindow}, above the {{ $labels.budget }}% budget for ${o.errorRateFor}.`,
        runbook_url: runbook(ALERTS.modelErrors),
      },
    },
  ];
  if (models.some((m) => m.autoscalerName)) {
    const hpa = 'on (namespace, horizontalpodautoscaler)';
    rules.push({
      alert: ALERTS.autoscalerPinned,
      expr:
        `(max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas)` +
        ` >= max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas))` +
        ` * ${hpa} group_left (model, max_replicas) (${OBJECTIVES.autoscaler} > bool 0)`,
      for: o.autoscalerPinnedFor,
      labels: { severity: 'warning', component: 'model', max_replicas: '' },
      annotations: {
        summary: 'Model {{ $labels.model }} autoscaler pinned at its maximum of {{ $labels.max_replicas }} replicas',
        description: `Autoscaler {{ $labels.horizontalpodautoscaler }} of model {{ $labels.model }} has run at its maximum replicas for ${o.autoscalerPinnedFor}; traffic beyond this is served slower or dropped. Raise maxReplicas or investigate the load.`,
        runbook_url: runbook(ALERTS.autoscalerPinned),
      },
    });
  }
  return rules;
}

function trainingRules(scheduled: boolean, withPeriod: boolean, oneOff: boolean, runbook: Runbook): AlertRule[] {
  const rules: AlertRule[] = [];
  const about = '(training, model, severity)';
  if (scheduled) {
    const info = `(${OBJECTIVES.trainingCronJob} >= bool 0)`;
    // Each Job with the CronJob that owns it as label `cronjob`.
    const owner = 'max by (namespace, job_name, cronjob) (label_replace(kube_job_owner{owner_kind="CronJob"}, "cronjob", "$1", "owner_name", "(.+)"))';
    const lastSuccess = 'max by (namespace, cronjob) (kube_cronjob_status_last_successful_time)';
    const start = `(kube_job_status_start_time * on (namespace, job_name) group_left (cronjob) ${owner})`;
    rules.push({
      alert: ALERTS.trainingFailed,
      // A failed Job of a training CronJob that started after the CronJob's last success: a later
      // success resolves the alert even while the failed Job is kept in history.
      expr:
        `(max by (namespace, job_name) (kube_job_status_failed) > 0)` +
        ` * on (namespace, job_name) group_left (cronjob, training, model, severity) (${owner} * on (namespace, cronjob) group_left ${about} ${info})` +
        ` and on (namespace, job_name) ((${start} > on (namespace, cronjob) group_left () ${lastSuccess}) or (${start} unless on (namespace, cronjob) ${lastSuccess}))`,
      labels: { component: 'training', cronjob: '' },
      annotations: {
        summary: 'Training {{ $labels.training }} failed',
        description: 'Job {{ $labels.job_name }} of scheduled training {{ $labels.training }} in namespace {{ $labels.namespace }} failed and no run has succeeded since. See `kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }}`.',
        runbook_url: runbook(ALERTS.trainingFailed),
      },
    });
  }
  if (withPeriod) {
    rules.push({
      alert: ALERTS.retrainingMissed,
      // Before the first success, the CronJob's creation time starts the clock.
      expr:
        'time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time or kube_cronjob_created)' +
        ` > on (namespace, cronjob) group_left (training, model, severity, period) (${OBJECTIVES.trainingCronJob} > 0)`,
      labels: { component: 'training', cronjob: '', period: '' },
      annotations: {
        summary: 'Scheduled retraining {{ $labels.training }} missed',
        description: 'Scheduled training {{ $labels.training }} (CronJob {{ $labels.cronjob }}) has not succeeded for {{ $value | humanizeDuration }}, more than 1.5 times its period of {{ $labels.period }}.',
        runbook_url: runbook(ALERTS.retrainingMissed),
      },
    });
  }
  if (oneOff) {
    rules.push({
      alert: ALERTS.trainingFailed,
      expr: `(max by (namespace, job_name) (kube_job_status_failed) > 0) * on (namespace, job_name) group_left ${about} ${OBJECTIVES.trainingJob}`,
      labels: { component: 'training' },
      annotations: {
        summary: 'Training {{ $labels.training }} failed',
        description: 'Job {{ $labels.job_name }} in namespace {{ $labels.namespace }} failed. See `kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }}`.',
        runbook_url: runbook(ALERTS.trainingFailed),
      },
    });
  }
  return rules;
}

/**
 * Rules that differ only in `for` must still differ in their labels (promtool and Prometheus flag
 * duplicates), but the alert should not carry the window: a template comment, expanded to nothing,
 * which removes the label from the alert.
 */
function windowLabel(window: string): string {
  return `{{/* for ${window} */}}`;
}

function driftRules(monitors: readonly DriftWatch[], runbook: Runbook): AlertRule[] {
  // Pushgateway series carry the grouping labels the drift job pushed (`namespace`, `model`); scraped with
  // honor_labels, so `namespace` is the model's, not the Pushgateway's.
  const helpers = { cronjob: '', period: '', stale_after: '', sustained_for: '' };
  const labels = { component: 'drift', ...helpers };
  const severityOf = (selector = '') => `${BY_MODEL} group_left (severity) (${OBJECTIVES.drift}${selector} > bool 0)`;
  const stoppedAnnotations = {
    summary: 'Drift monitor of model {{ $labels.model }} stopped reporting',
    description: 'The drift check of model {{ $labels.model }} (CronJob {{ $labels.cronjob }} in {{ $labels.namespace }}) has not reported a run for more than 1.5 times its period of {{ $labels.period }}.',
    runbook_url: runbook(ALERTS.driftStopped),
  };
  const rules: AlertRule[] = [];
  // `for` cannot come from data: one rule per distinct sustained window.
  for (const t of distinct(monitors, (m) => String(m.sustainedForSeconds))) {
    const sustained = formatDuration(t.sustainedForSeconds);
    rules.push({
      alert: ALERTS.driftDetected,
      expr: `(max by (namespace, model) (mlops_drift_detected) == 1) * ${severityOf(`{sustained_for=${q(sustained)}}`)}`,
      for: sustained,
      labels: { component: 'drift', window: windowLabel(sustained) },
      annotations: {
        summary: 'Data drift detected for model {{ $labels.model }}',
        description: `The drift check of model {{ $labels.model }} has reported dataset drift for ${sustained}. Check the per-feature drift dashboard; retraining may be due.`,
        runbook_url: runbook(ALERTS.driftDetected),
      },
    });
  }
  rules.push({
    alert: ALERTS.driftStopped,
    expr: `time() - max by (namespace, model) (mlops_drift_last_run_timestamp_seconds) > ${BY_MODEL} group_left (severity, cronjob, period) ${OBJECTIVES.drift}`,
    // Distinct `signal` labels keep the rules of this alert apart.
    labels: { ...labels, signal: 'stale' },
    annotations: stoppedAnnotations,
  });
  // Never reported at all (new install, or the Pushgateway lost its data): give the first run 1.5 periods.
  for (const t of distinct(monitors, (m) => String(driftStaleAfterSeconds(m)))) {
    const stale = formatDuration(driftStaleAfterSeconds(t));
    rules.push({
      alert: ALERTS.driftStopped,
      expr: `${OBJECTIVES.drift}{stale_after=${q(stale)}} unless ${BY_MODEL} mlops_drift_last_run_timestamp_seconds`,
      for: stale,
      labels: { ...labels, signal: 'absent', window: windowLabel(stale) },
      annotations: stoppedAnnotations,
    });
  }
  rules.push({
    alert: ALERTS.driftCheckFailed,
    expr: `(max by (namespace, model, reason) (mlops_drift_check_error) == 1) * ${severityOf()}`,
    labels: { component: 'drift' },
    annotations: {
      summary: 'Drift check of model {{ $labels.model }} fails',
      description: 'The last drift check of model {{ $labels.model }} could not read or validate its data (reason {{ $labels.reason }}).',
      runbook_url: runbook(ALERTS.driftCheckFailed),
    },
  });
  return rules;
}
