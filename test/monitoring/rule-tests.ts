import type { DriftWatch, ModelWatch, TrackingServerWatch, TrainingWatch, WatchTarget } from '../../lib/core/observability';
import { ALERTS, DEFAULT_RUNBOOK_BASE_URL, histogramBase, scrapeJobName, type AlertRule, type RuleGroup, type RuleOptions } from '../../lib/monitoring/alert-rules';
import { formatDuration, parseDuration } from '../../lib/core/validators';

/**
 * Builds `promtool test rules` cases from the watch targets' thresholds: for
 * every alert, series that must fire and series that must not. The expected
 * labels and annotations of the fleet-wide rules are written out here from
 * each target (what the alert of that one workload must say), so a rule that
 * joins the wrong objective, or loses a label on the way, fails.
 */

interface SeriesSpec { series: string; values: string }
interface ExpAlert { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }
interface AlertTest { eval_time: string; alertname: string; exp_alerts: ExpAlert[] }
export interface TestCase { name: string; interval: string; input_series: SeriesSpec[]; alert_rule_test: AlertTest[] }

function sel(metric: string, labels: Record<string, string>): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/** Go's `humanizeDuration` (Prometheus templates). */
export function humanizeDuration(v: number): string {
  if (Math.abs(v) >= 1) {
    const s = Math.trunc(v);
    const [days, hours, minutes, seconds] = [Math.trunc(s / 86400), Math.trunc(s / 3600) % 24, Math.trunc(s / 60) % 60, s % 60];
    if (days) return `${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours) return `${hours}h ${minutes}m ${seconds}s`;
    if (minutes) return `${minutes}m ${seconds}s`;
    return `${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p']) {
    if (Math.abs(v) >= 1 || v === 0) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Go's `%.4g` for the values these tests produce. */
function g4(v: number): string {
  return String(Number(v.toPrecision(4)));
}

function render(template: string, labels: Record<string, string>, value?: number): string {
  const out = template
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '')
    .replace(/\{\{ \$value \| humanizeDuration \}\}/g, () => humanizeDuration(value!))
    .replace(/\{\{ \$value \| humanizePercentage \}\}/g, () => `${g4(value! * 100)}%`);
  if (out.includes('{{')) throw new Error(`test renderer does not know a template in: ${template}`);
  return out;
}

/** The alert a rule raises for the given series labels. */
function expected(rule: AlertRule, seriesLabels: Record<string, string>, value?: number): ExpAlert {
  const labels = { ...seriesLabels, ...rule.labels } as Record<string, string>;
  const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, render(v, labels, value)]));
  return { exp_labels: labels, exp_annotations: annotations };
}

const runbookOf = (opts: RuleOptions, alert: string) => `${opts.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL}#${alert.toLowerCase()}`;

/** The alert one workload's rule raises: its labels and annotation text. */
function alertOf(opts: RuleOptions, alert: string, labels: Record<string, string | undefined>, summary: string, description: string): ExpAlert {
  const exp_labels = Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => e[1] !== undefined));
  return { exp_labels, exp_annotations: { summary, description, runbook_url: runbookOf(opts, alert) } };
}

/** Expected alerts per workload, as each workload's rule used to say them. */
export const expect_ = {
  latency(m: ModelWatch, opts: RuleOptions, variant: string, value: number): ExpAlert {
    const latencyFor = opts.latencyFor ?? '10m';
    return alertOf(opts, ALERTS.modelLatency, { variant, severity: m.severity ?? 'critical', component: 'model', namespace: m.namespace, model: m.model },
      `Model ${m.model} p95 latency above its ${m.latencyP95Seconds}s objective`,
      `p95 latency of model ${m.model} (${variant}) is ${humanizeDuration(value)}, above the ${m.latencyP95Seconds}s objective for ${latencyFor}.`);
  },
  errors(m: ModelWatch, opts: RuleOptions, variant: string, value: number): ExpAlert {
    return alertOf(opts, ALERTS.modelErrors, { variant, severity: m.severity ?? 'critical', component: 'model', namespace: m.namespace, model: m.model },
      `Model ${m.model} error rate above its ${m.errorRatio * 100}% budget`,
      `${g4(value * 100)}% of requests to model ${m.model} (${variant}) failed with 5xx over ${opts.rateWindow ?? '5m'}, above the ${m.errorRatio * 100}% budget for ${opts.errorRateFor ?? '5m'}.`);
  },
  pinned(m: ModelWatch, opts: RuleOptions): ExpAlert {
    return alertOf(opts, ALERTS.autoscalerPinned, { horizontalpodautoscaler: m.autoscalerName, severity: 'warning', component: 'model', namespace: m.namespace, model: m.model },
      `Model ${m.model} autoscaler pinned at its maximum of ${m.maxReplicas} replicas`,
      `Autoscaler ${m.autoscalerName} of model ${m.model} has run at its maximum replicas for ${opts.autoscalerPinnedFor ?? '15m'}; traffic beyond this is served slower or dropped. Raise maxReplicas or investigate the load.`);
  },
  trainingFailed(t: TrainingWatch, opts: RuleOptions, job: string): ExpAlert {
    const labels = { job_name: job, severity: t.severity ?? 'warning', component: 'training', namespace: t.namespace, training: t.name, model: t.model };
    return t.cronJobName && job !== t.jobName
      ? alertOf(opts, ALERTS.trainingFailed, labels, `Training ${t.name} failed`,
        `Job ${job} of scheduled training ${t.name} in namespace ${t.namespace} failed and no run has succeeded since. See \`kubectl -n ${t.namespace} logs job/${job}\`.`)
      : alertOf(opts, ALERTS.trainingFailed, labels, `Training ${t.name} failed`,
        `Job ${job} in namespace ${t.namespace} failed. See \`kubectl -n ${t.namespace} logs job/${job}\`.`);
  },
  retrainingMissed(t: TrainingWatch, opts: RuleOptions, value: number): ExpAlert {
    return alertOf(opts, ALERTS.retrainingMissed, { severity: t.severity ?? 'warning', component: 'training', namespace: t.namespace, training: t.name, model: t.model },
      `Scheduled retraining ${t.name} missed`,
      `Scheduled training ${t.name} (CronJob ${t.cronJobName}) has not succeeded for ${humanizeDuration(value)}, more than 1.5 times its period of ${formatDuration(t.schedulePeriodSeconds!)}.`);
  },
  driftDetected(d: DriftWatch, opts: RuleOptions): ExpAlert {
    const sustained = formatDuration(d.sustainedForSeconds);
    return alertOf(opts, ALERTS.driftDetected, { severity: d.severity ?? 'warning', component: 'drift', namespace: d.namespace, model: d.model },
      `Data drift detected for model ${d.model}`,
      `The drift check of model ${d.model} has reported dataset drift for ${sustained}. Check the per-feature drift dashboard; retraining may be due.`);
  },
  driftStopped(d: DriftWatch, opts: RuleOptions, signal: 'stale' | 'absent'): ExpAlert {
    return alertOf(opts, ALERTS.driftStopped, { severity: d.severity ?? 'warning', component: 'drift', namespace: d.namespace, model: d.model, signal },
      `Drift monitor of model ${d.model} stopped reporting`,
      `The drift check of model ${d.model} (CronJob ${d.cronJobName} in ${d.namespace}) has not reported a run for more than 1.5 times its period of ${formatDuration(d.schedulePeriodSeconds)}.`);
  },
  driftCheckFailed(d: DriftWatch, opts: RuleOptions, reason: string): ExpAlert {
    return alertOf(opts, ALERTS.driftCheckFailed, { reason, severity: d.severity ?? 'warning', component: 'drift', namespace: d.namespace, model: d.model },
      `Drift check of model ${d.model} fails`,
      `The last drift check of model ${d.model} could not read or validate its data (reason ${reason}).`);
  },
};

function ruleOf(groups: RuleGroup[], groupName: string, alert: string): AlertRule {
  const rule = groups.find((g) => g.name === groupName)?.rules.find((r) => r.alert === alert);
  if (!rule) throw new Error(`no rule ${alert} in group ${groupName}`);
  return rule;
}

const minutes = (d: string) => parseDuration(d) / 60;

export function buildRuleTests(targets: readonly WatchTarget[], groups: RuleGroup[], opts: RuleOptions = {}): TestCase[] {
  const cases: TestCase[] = [];
  for (const t of targets) {
    if (t.kind === 'tracking-server') cases.push(...trackingCases(t, groups, opts));
    if (t.kind === 'model') cases.push(...modelCases(t, opts));
    if (t.kind === 'training') cases.push(...trainingCases(t, opts));
    if (t.kind === 'drift') cases.push(...driftCases(t, opts));
  }
  return cases;
}

function trackingCases(t: TrackingServerWatch, groups: RuleGroup[], opts: RuleOptions): TestCase[] {
  const rule = ruleOf(groups, `mlops-tracking-${t.scrape.namespace}-${t.name}`, ALERTS.trackingDown);
  const job = scrapeJobName(t);
  const forMin = minutes(opts.trackingDownFor ?? '5m');
  const up = (pod: string) => sel('up', { job, namespace: t.scrape.namespace, pod });
  const at = `${forMin + 5}m`;
  return [
    { name: `${t.name}: all replicas down fires`, interval: '1m', input_series: [{ series: up('a'), values: '0x30' }, { series: up('b'), values: '0x30' }],
      alert_rule_test: [{ eval_time: at, alertname: rule.alert, exp_alerts: [expected(rule, {})] }, { eval_time: `${forMin - 2}m`, alertname: rule.alert, exp_alerts: [] }] },
    { name: `${t.name}: no target at all fires`, interval: '1m', input_series: [{ series: sel('up', { job: 'other' }), values: '1x30' }],
      alert_rule_test: [{ eval_time: at, alertname: rule.alert, exp_alerts: [expected(rule, { job })] }] },
    { name: `${t.name}: one replica up does not fire`, interval: '1m', input_series: [{ series: up('a'), values: '1x30' }, { series: up('b'), values: '0x30' }],
      alert_rule_test: [{ eval_time: at, alertname: rule.alert, exp_alerts: [] }] },
  ];
}

function modelCases(m: ModelWatch, opts: RuleOptions): TestCase[] {
  const base = { namespace: m.namespace, model: m.model, variant: 'stable', pod: `${m.model}-0` };
  const L = m.latencyP95Seconds;
  const bucket = (incs: number[]) =>
    [L / 2, L, 2 * L, 4 * L, '+Inf'].map((le, i) => ({ series: sel(`${histogramBase(m.metrics.requestDuration)}_bucket`, { ...base, le: String(le) }), values: `0+${incs[i]}x60` }));
  const latency = { alert: ALERTS.modelLatency };
  const latAt = `${minutes(opts.latencyFor ?? '10m') + 10}m`;
  const errors = { alert: ALERTS.modelErrors };
  const errAt = `${minutes(opts.errorRateFor ?? '5m') + 10}m`;
  const E = m.errorRatio;
  const reqs = (status: string, perMinute: number) => ({ series: sel(m.metrics.requestsTotal, { ...base, [m.metrics.statusLabel]: status }), values: `0+${perMinute}x60` });
  const cases: TestCase[] = [
    // 10% of requests slower than 2x the objective: p95 = 3x objective, while p50 is well under it.
    { name: `${m.model}: p95 above objective fires`, interval: '1m', input_series: bucket([90, 90, 90, 100, 100]),
      alert_rule_test: [{ eval_time: latAt, alertname: latency.alert, exp_alerts: [expect_.latency(m, opts, 'stable', 3 * L)] }] },
    // 3% slow: p99 is above the objective, p95 is not.
    { name: `${m.model}: only p99 above objective does not fire`, interval: '1m', input_series: bucket([97, 97, 97, 100, 100]),
      alert_rule_test: [{ eval_time: latAt, alertname: latency.alert, exp_alerts: [] }] },
    { name: `${m.model}: 5xx at twice the budget fires`, interval: '1m',
      input_series: [reqs('200', Math.round((1 - 2 * E) * 1000)), reqs(m.model === 'churn' ? '5xx' : '503', Math.round(2 * E * 1000))],
      alert_rule_test: [{ eval_time: errAt, alertname: errors.alert, exp_alerts: [expect_.errors(m, opts, 'stable', 2 * E)] }] },
    // Client errors are not the server's budget; 5xx at half the budget is within it.
    { name: `${m.model}: 4xx and 5xx within budget does not fire`, interval: '1m',
      input_series: [reqs('200', Math.round((1 - 0.5 * E - 0.3) * 1000)), reqs('500', Math.round(0.5 * E * 1000)), reqs('404', 300)],
      alert_rule_test: [{ eval_time: errAt, alertname: errors.alert, exp_alerts: [] }] },
  ];
  if (m.autoscalerName) {
    const pinned = { alert: ALERTS.autoscalerPinned };
    const hpa = { namespace: m.namespace, horizontalpodautoscaler: m.autoscalerName, job: 'kube-state-metrics' };
    const at = `${minutes(opts.autoscalerPinnedFor ?? '15m') + 5}m`;
    const hpaSeries = (current: number) => [
      { series: sel('kube_horizontalpodautoscaler_status_current_replicas', hpa), values: `${current}x60` },
      { series: sel('kube_horizontalpodautoscaler_spec_max_replicas', hpa), values: `${m.maxReplicas}x60` },
    ];
    cases.push(
      { name: `${m.model}: autoscaler at max fires`, interval: '1m', input_series: hpaSeries(m.maxReplicas),
        alert_rule_test: [{ eval_time: at, alertname: pinned.alert, exp_alerts: [expect_.pinned(m, opts)] }] },
      { name: `${m.model}: autoscaler below max does not fire`, interval: '1m', input_series: hpaSeries(m.maxReplicas - 1),
        alert_rule_test: [{ eval_time: at, alertname: pinned.alert, exp_alerts: [] }] },
    );
  }
  return cases;
}

function trainingCases(t: TrainingWatch, opts: RuleOptions): TestCase[] {
  const failed = { alert: ALERTS.trainingFailed };
  const ns = { namespace: t.namespace };
  const cases: TestCase[] = [];
  if (t.cronJobName) {
    const job = `${t.cronJobName}-29000000`;
    const jobSeries = (owner: string, lastSuccess?: number) => [
      { series: sel('kube_job_status_failed', { ...ns, job_name: job, reason: 'BackoffLimitExceeded' }), values: '1x10' },
      { series: sel('kube_job_owner', { ...ns, job_name: job, owner_kind: 'CronJob', owner_name: owner, owner_is_controller: 'true' }), values: '1x10' },
      { series: sel('kube_job_status_start_time', { ...ns, job_name: job }), values: '1000x10' },
      ...(lastSuccess !== undefined ? [{ series: sel('kube_cronjob_status_last_successful_time', { ...ns, cronjob: t.cronJobName! }), values: `${lastSuccess}x10` }] : []),
    ];
    const fires = [expect_.trainingFailed(t, opts, job)];
    cases.push(
      { name: `${t.name}: run failed after the last success fires`, interval: '1m', input_series: jobSeries(t.cronJobName, 500),
        alert_rule_test: [{ eval_time: '2m', alertname: failed.alert, exp_alerts: fires }] },
      { name: `${t.name}: run failed before any success fires`, interval: '1m', input_series: jobSeries(t.cronJobName),
        alert_rule_test: [{ eval_time: '2m', alertname: failed.alert, exp_alerts: fires }] },
      { name: `${t.name}: failed run followed by a success does not fire`, interval: '1m', input_series: jobSeries(t.cronJobName, 2000),
        alert_rule_test: [{ eval_time: '2m', alertname: failed.alert, exp_alerts: [] }] },
      { name: `${t.name}: another CronJob's failed run does not fire`, interval: '1m', input_series: jobSeries('someone-else'),
        alert_rule_test: [{ eval_time: '2m', alertname: failed.alert, exp_alerts: [] }] },
    );
    if (t.schedulePeriodSeconds) {
      const missed = { alert: ALERTS.retrainingMissed };
      const limitHours = (1.5 * t.schedulePeriodSeconds) / 3600;
      const cron = { ...ns, cronjob: t.cronJobName };
      const created = { series: sel('kube_cronjob_created', cron), values: `0x${Math.ceil(limitHours) + 5}` };
      const success = { series: sel('kube_cronjob_status_last_successful_time', cron), values: `3600x${Math.ceil(limitHours) + 5}` };
      const over = Math.floor(limitHours) + 1; // first whole hour past 1.5 periods
      cases.push(
        { name: `${t.name}: no success within 1.5 periods of creation fires`, interval: '1h', input_series: [created],
          alert_rule_test: [
            { eval_time: `${over}h`, alertname: missed.alert, exp_alerts: [expect_.retrainingMissed(t, opts, over * 3600)] },
            { eval_time: `${Math.ceil(limitHours) - 1}h`, alertname: missed.alert, exp_alerts: [] },
          ] },
        // The last success (at 1h) restarts the clock.
        { name: `${t.name}: success within 1.5 periods does not fire`, interval: '1h', input_series: [created, success],
          alert_rule_test: [
            { eval_time: `${over}h`, alertname: missed.alert, exp_alerts: [] },
            { eval_time: `${over + 1}h`, alertname: missed.alert, exp_alerts: [expect_.retrainingMissed(t, opts, over * 3600)] },
          ] },
      );
    }
  }
  if (t.jobName) {
    const s = (v: number) => [{ series: sel('kube_job_status_failed', { ...ns, job_name: t.jobName!, reason: 'BackoffLimitExceeded' }), values: `${v}x10` }];
    cases.push(
      { name: `${t.name}: failed job fires`, interval: '1m', input_series: s(1),
        alert_rule_test: [{ eval_time: '2m', alertname: failed.alert, exp_alerts: [expect_.trainingFailed(t, opts, t.jobName!)] }] },
      { name: `${t.name}: job without failures does not fire`, interval: '1m', input_series: s(0),
        alert_rule_test: [{ eval_time: '2m', alertname: failed.alert, exp_alerts: [] }] },
    );
  }
  return cases;
}

function driftCases(d: DriftWatch, opts: RuleOptions): TestCase[] {
  const detected = { alert: ALERTS.driftDetected };
  const stopped = { alert: ALERTS.driftStopped };
  const checkFailed = { alert: ALERTS.driftCheckFailed };
  const push = { job: 'mlops-drift', namespace: d.namespace, model: d.model, instance: 'pushgateway:9091' };
  const sustainedMin = d.sustainedForSeconds / 60;
  const staleMin = (1.5 * d.schedulePeriodSeconds) / 60;
  const span = Math.ceil(sustainedMin + staleMin + 30);
  const flag = (values: string) => ({ series: sel('mlops_drift_detected', push), values });
  const lastRun = { series: sel('mlops_drift_last_run_timestamp_seconds', push), values: `0x${span}` };
  return [
    { name: `${d.model}: drift sustained for the window fires`, interval: '1m', input_series: [flag(`1x${span}`)],
      alert_rule_test: [
        { eval_time: `${sustainedMin + 10}m`, alertname: detected.alert, exp_alerts: [expect_.driftDetected(d, opts)] },
        { eval_time: `${sustainedMin - 10}m`, alertname: detected.alert, exp_alerts: [] },
      ] },
    // Drift appeared 60 minutes before the evaluation: shorter than the window. Another model's drift is not this one's.
    { name: `${d.model}: drift shorter than the window does not fire`, interval: '1m',
      input_series: [
        flag(`0x${Math.round(sustainedMin - 50)} 1x${span}`),
        { series: sel('mlops_drift_detected', { ...push, model: `not-${d.model}` }), values: `1x${span}` },
        // the same model name in another namespace is another model
        { series: sel('mlops_drift_detected', { ...push, namespace: `not-${d.namespace}` }), values: `1x${span}` },
      ],
      alert_rule_test: [{ eval_time: `${sustainedMin + 10}m`, alertname: detected.alert, exp_alerts: [] }] },
    { name: `${d.model}: no run for 1.5 periods fires, earlier does not`, interval: '1m', input_series: [lastRun],
      alert_rule_test: [
        { eval_time: `${staleMin + 10}m`, alertname: stopped.alert, exp_alerts: [expect_.driftStopped(d, opts, 'stale')] },
        { eval_time: `${staleMin - 10}m`, alertname: stopped.alert, exp_alerts: [] },
      ] },
    { name: `${d.model}: never reported fires after 1.5 periods`, interval: '1m', input_series: [{ series: sel('up', { job: 'x' }), values: `1x${span}` }],
      alert_rule_test: [
        { eval_time: `${staleMin + 5}m`, alertname: stopped.alert, exp_alerts: [expect_.driftStopped(d, opts, 'absent')] },
        { eval_time: `${staleMin - 10}m`, alertname: stopped.alert, exp_alerts: [] },
      ] },
    { name: `${d.model}: check error fires, cleared does not`, interval: '1m',
      input_series: [{ series: sel('mlops_drift_check_error', { ...push, reason: 'schema' }), values: '1x5 0x5' }],
      alert_rule_test: [
        { eval_time: '2m', alertname: checkFailed.alert, exp_alerts: [expect_.driftCheckFailed(d, opts, 'schema')] },
        { eval_time: '8m', alertname: checkFailed.alert, exp_alerts: [] },
      ] },
  ];
}
