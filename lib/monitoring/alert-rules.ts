import type { DriftWatch, ModelWatch, TrackingServerWatch, TrainingWatch, WatchTarget } from '../core/observability';
import { formatDuration } from '../core/validators';

/**
 * Prometheus alert rules generated from the registered {@link WatchTarget}s:
 * one rule group per target, thresholds taken from the target (which the
 * workload constructs fill from their props). Pure functions, so tests feed
 * the very same output to `promtool check rules` and `promtool test rules`.
 */

export type Severity = 'critical' | 'warning' | 'info';

/** One alerting rule, in Prometheus rule-file shape. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** Omitted when the alert fires on the first failing evaluation. */
  readonly for?: string;
  readonly labels: { readonly severity: Severity; readonly component: string; readonly namespace: string; readonly model?: string } & Record<string, string>;
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

/** The Prometheus scrape job of a target; rules and scrape configs agree on it through this function. */
export function scrapeJobName(target: TrackingServerWatch | ModelWatch): string {
  return target.kind === 'tracking-server'
    ? `mlops/tracking/${target.scrape.namespace}/${target.name}`
    : `mlops/model/${target.namespace}/${target.model}`;
}

/** Name of the histogram without its `_bucket` suffix (targets may give either). */
export function histogramBase(name: string): string {
  return name.replace(/_bucket$/, '');
}

/** One rule group per target, in registration order. */
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
  return targets.map((t) => {
    switch (t.kind) {
      case 'tracking-server':
        return { name: `mlops-tracking-${t.scrape.namespace}-${t.name}`, rules: trackingRules(t, o, runbook) };
      case 'model':
        return { name: `mlops-model-${t.namespace}-${t.model}`, rules: modelRules(t, o, runbook) };
      case 'training':
        return { name: `mlops-training-${t.namespace}-${t.name}`, rules: trainingRules(t, runbook) };
      case 'drift':
        return { name: `mlops-drift-${t.namespace}-${t.model}`, rules: driftRules(t, runbook) };
    }
  });
}

/** The rule file as text. JSON is valid YAML, and promtool and the chart accept it. */
export function renderRuleFile(groups: readonly RuleGroup[]): string {
  return JSON.stringify({ groups }, null, 2) + '\n';
}

type Opts = Required<RuleOptions>;
type Runbook = (alert: string) => string;

/** A PromQL string literal. */
function q(value: string): string {
  return JSON.stringify(value);
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

function modelRules(t: ModelWatch, o: Opts, runbook: Runbook): AlertRule[] {
  const sel = `namespace=${q(t.namespace)}, model=${q(t.model)}`;
  const severity = t.severity ?? 'critical';
  const labels = { severity, component: 'model', namespace: t.namespace, model: t.model };
  const rules: AlertRule[] = [
    {
      alert: ALERTS.modelLatency,
      expr:
        `histogram_quantile(0.95, sum by (le, variant) (rate(${histogramBase(t.metrics.requestDuration)}_bucket{${sel}}[${o.rateWindow}])))` +
        ` > ${t.latencyP95Seconds}`,
      for: o.latencyFor,
      labels,
      annotations: {
        summary: `Model ${t.model} p95 latency above its ${t.latencyP95Seconds}s objective`,
        description: `p95 latency of model ${t.model} ({{ $labels.variant }}) is {{ $value | humanizeDuration }}, above the ${t.latencyP95Seconds}s objective for ${o.latencyFor}.`,
        runbook_url: runbook(ALERTS.modelLatency),
      },
    },
    {
      alert: ALERTS.modelErrors,
      expr:
        `sum by (variant) (rate(${t.metrics.requestsTotal}{${sel}, ${t.metrics.statusLabel}=~"5.."}[${o.rateWindow}]))` +
        ` / sum by (variant) (rate(${t.metrics.requestsTotal}{${sel}}[${o.rateWindow}])) > ${t.errorRatio}`,
      for: o.errorRateFor,
      labels,
      annotations: {
        summary: `Model ${t.model} error rate above its ${t.errorRatio * 100}% budget`,
        description: `{{ $value | humanizePercentage }} of requests to model ${t.model} ({{ $labels.variant }}) failed with 5xx over ${o.rateWindow}, above the ${t.errorRatio * 100}% budget for ${o.errorRateFor}.`,
        runbook_url: runbook(ALERTS.modelErrors),
      },
    },
  ];
  if (t.autoscalerName) {
    const hpa = `namespace=${q(t.namespace)}, horizontalpodautoscaler=${q(t.autoscalerName)}`;
    rules.push({
      alert: ALERTS.autoscalerPinned,
      expr:
        `max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{${hpa}})` +
        ` >= max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{${hpa}})`,
      for: o.autoscalerPinnedFor,
      labels: { ...labels, severity: 'warning' },
      annotations: {
        summary: `Model ${t.model} autoscaler pinned at its maximum of ${t.maxReplicas} replicas`,
        description: `Autoscaler ${t.autoscalerName} of model ${t.model} has run at its maximum replicas for ${o.autoscalerPinnedFor}; traffic beyond this is served slower or dropped. Raise maxReplicas or investigate the load.`,
        runbook_url: runbook(ALERTS.autoscalerPinned),
      },
    });
  }
  return rules;
}

function trainingRules(t: TrainingWatch, runbook: Runbook): AlertRule[] {
  const severity = t.severity ?? 'warning';
  const labels = { severity, component: 'training', namespace: t.namespace, training: t.name, ...(t.model ? { model: t.model } : {}) };
  const ns = `namespace=${q(t.namespace)}`;
  const rules: AlertRule[] = [];
  if (t.cronJobName) {
    const cron = `${ns}, cronjob=${q(t.cronJobName)}`;
    const lastSuccess = `max by (namespace) (kube_cronjob_status_last_successful_time{${cron}})`;
    const start = `kube_job_status_start_time{${ns}}`;
    rules.push({
      alert: ALERTS.trainingFailed,
      // A failed Job of this CronJob that started after the last success: a later
      // success resolves the alert even while the failed Job is kept in history.
      expr:
        `(max by (namespace, job_name) (kube_job_status_failed{${ns}}) > 0)` +
        ` and on (namespace, job_name) kube_job_owner{${ns}, owner_kind="CronJob", owner_name=${q(t.cronJobName)}}` +
        ` and on (namespace, job_name) ((${start} > on (namespace) group_left () ${lastSuccess}) or (${start} unless on (namespace) ${lastSuccess}))`,
      labels,
      annotations: {
        summary: `Training ${t.name} failed`,
        description: `Job {{ $labels.job_name }} of scheduled training ${t.name} in namespace ${t.namespace} failed and no run has succeeded since. See \`kubectl -n ${t.namespace} logs job/{{ $labels.job_name }}\`.`,
        runbook_url: runbook(ALERTS.trainingFailed),
      },
    });
    if (t.schedulePeriodSeconds) {
      const limit = Math.round(t.schedulePeriodSeconds * 1.5);
      rules.push({
        alert: ALERTS.retrainingMissed,
        // Before the first success, the CronJob's creation time starts the clock.
        expr: `time() - max by (namespace) (kube_cronjob_status_last_successful_time{${cron}} or kube_cronjob_created{${cron}}) > ${limit}`,
        labels,
        annotations: {
          summary: `Scheduled retraining ${t.name} missed`,
          description: `Scheduled training ${t.name} (CronJob ${t.cronJobName}) has not succeeded for {{ $value | humanizeDuration }}, more than 1.5 times its period of ${formatDuration(t.schedulePeriodSeconds)}.`,
          runbook_url: runbook(ALERTS.retrainingMissed),
        },
      });
    }
  }
  if (t.jobName) {
    rules.push({
      alert: ALERTS.trainingFailed,
      expr: `max by (namespace, job_name) (kube_job_status_failed{${ns}, job_name=${q(t.jobName)}}) > 0`,
      labels,
      annotations: {
        summary: `Training ${t.name} failed`,
        description: `Job ${t.jobName} in namespace ${t.namespace} failed. See \`kubectl -n ${t.namespace} logs job/${t.jobName}\`.`,
        runbook_url: runbook(ALERTS.trainingFailed),
      },
    });
  }
  return rules;
}

function driftRules(t: DriftWatch, runbook: Runbook): AlertRule[] {
  const severity = t.severity ?? 'warning';
  const labels = { severity, component: 'drift', namespace: t.namespace, model: t.model };
  // Pushgateway series carry the grouping labels the drift job pushed (`namespace`, `model`); scraped with
  // honor_labels, so `namespace` is the model's, not the Pushgateway's.
  const m = `namespace=${q(t.namespace)}, model=${q(t.model)}`;
  const stale = Math.round(t.schedulePeriodSeconds * 1.5);
  const sustained = formatDuration(t.sustainedForSeconds);
  const lastRun = `mlops_drift_last_run_timestamp_seconds{${m}}`;
  const stoppedAnnotations = {
    summary: `Drift monitor of model ${t.model} stopped reporting`,
    description: `The drift check of model ${t.model} (CronJob ${t.cronJobName} in ${t.namespace}) has not reported a run for more than 1.5 times its period of ${formatDuration(t.schedulePeriodSeconds)}.`,
    runbook_url: runbook(ALERTS.driftStopped),
  };
  return [
    {
      alert: ALERTS.driftDetected,
      expr: `max by (model) (mlops_drift_detected{${m}}) == 1`,
      for: sustained,
      labels,
      annotations: {
        summary: `Data drift detected for model ${t.model}`,
        description: `The drift check of model ${t.model} has reported dataset drift for ${sustained}. Check the per-feature drift dashboard; retraining may be due.`,
        runbook_url: runbook(ALERTS.driftDetected),
      },
    },
    {
      alert: ALERTS.driftStopped,
      expr: `time() - max by (model) (${lastRun}) > ${stale}`,
      // Distinct `signal` labels keep the two rules of this alert apart (promtool lints duplicates).
      labels: { ...labels, signal: 'stale' },
      annotations: stoppedAnnotations,
    },
    {
      // Never reported at all (new install, or the Pushgateway lost its data): give the first run 1.5 periods.
      alert: ALERTS.driftStopped,
      expr: `absent(${lastRun})`,
      for: formatDuration(stale),
      labels: { ...labels, signal: 'absent' },
      annotations: stoppedAnnotations,
    },
    {
      alert: ALERTS.driftCheckFailed,
      expr: `max by (model, reason) (mlops_drift_check_error{${m}}) == 1`,
      labels,
      annotations: {
        summary: `Drift check of model ${t.model} fails`,
        description: `The last drift check of model ${t.model} could not read or validate its data (reason {{ $labels.reason }}).`,
        runbook_url: runbook(ALERTS.driftCheckFailed),
      },
    },
  ];
}
