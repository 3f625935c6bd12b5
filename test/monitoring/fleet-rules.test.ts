import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { itWithTool, requireTool } from '../support/tools';
import type { DriftWatch, ModelWatch, TrainingWatch, WatchTarget } from '../../lib/core/observability';
import { ALERTS, renderRuleFile, ruleFileGroups } from '../../lib/monitoring/alert-rules';
import { expect_ } from './rule-tests';
import { run, TARGETS } from './support';

/**
 * A fleet whose workloads have different objectives, all fed the same
 * traffic: the fleet-wide rules must fire for exactly the workloads whose own
 * objective the traffic breaks, each alert with that workload's labels and text.
 */
const promtool = requireTool('promtool');

const churn = TARGETS[1] as ModelWatch;
const model = (namespace: string, name: string, latencyP95Seconds: number, errorRatio: number, severity?: 'warning'): ModelWatch => ({
  ...churn, namespace, model: name, latencyP95Seconds, errorRatio, autoscalerName: undefined, severity,
  scrape: { ...churn.scrape, namespace }, deployments: { stable: `${name}-stable` },
});
const drift = (name: string, periodSeconds: number, sustainedForSeconds: number): DriftWatch => ({
  kind: 'drift', model: name, namespace: 'serving', cronJobName: `${name}-drift`, schedulePeriodSeconds: periodSeconds, sustainedForSeconds, features: ['x'],
});
const training = (name: string, severity?: 'critical'): TrainingWatch => ({ kind: 'training', name, namespace: 'serving', model: name, cronJobName: name, severity });

const A = model('serving', 'a', 0.2, 0.01);
const B = model('serving', 'b', 0.5, 0.05, 'warning');
const C = model('serving', 'c', 1, 0.02);
// The same model name in another namespace is another model, with its own objectives.
const OTHER_A = model('other', 'a', 2, 0.1);
const D1 = drift('a', 3600, 3600);
const D2 = drift('b', 6 * 3600, 3 * 3600);
const T1 = training('a');
const T2 = training('b', 'critical');
const FLEET: WatchTarget[] = [A, B, C, OTHER_A, D1, D2, T1, T2];

const sel = (metric: string, labels: Record<string, string>) => `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;

/** Every model: all requests between 0.5 s and 0.75 s (p95 = 0.7375 s), 3% of them 5xx. */
function traffic(m: ModelWatch) {
  const base = { namespace: m.namespace, model: m.model, variant: 'stable', pod: `${m.model}-0` };
  return [
    ...[['0.25', 0], ['0.5', 0], ['0.75', 100], ['1', 100], ['2', 100], ['+Inf', 100]].map(([le, n]) => ({ series: sel('http_request_duration_seconds_bucket', { ...base, le: String(le) }), values: `0+${n}x60` })),
    { series: sel('http_requests_total', { ...base, status: '200' }), values: '0+970x60' },
    { series: sel('http_requests_total', { ...base, status: '500' }), values: '0+30x60' },
  ];
}

function failedRun(t: TrainingWatch, lastSuccess: number) {
  const ns = { namespace: t.namespace };
  const job = `${t.cronJobName}-29000000`;
  return [
    { series: sel('kube_job_status_failed', { ...ns, job_name: job, reason: 'BackoffLimitExceeded' }), values: '1x10' },
    { series: sel('kube_job_owner', { ...ns, job_name: job, owner_kind: 'CronJob', owner_name: t.cronJobName!, owner_is_controller: 'true' }), values: '1x10' },
    { series: sel('kube_job_status_start_time', { ...ns, job_name: job }), values: '1000x10' },
    { series: sel('kube_cronjob_status_last_successful_time', { ...ns, cronjob: t.cronJobName! }), values: `${lastSuccess}x10` },
  ];
}

describe('fleet-wide alert rules', () => {
  itWithTool(promtool, 'fire for exactly the workloads whose own objectives are broken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-fleet-rules-'));
    const groups = ruleFileGroups(FLEET);
    writeFileSync(join(dir, 'rules.json'), renderRuleFile(groups));
    const order = [...groups.filter((g) => g.name.startsWith('mlops-objectives-')), ...groups.filter((g) => !g.name.startsWith('mlops-objectives-'))].map((g) => g.name);
    const push = (d: DriftWatch) => ({ job: 'mlops-drift', namespace: d.namespace, model: d.model, instance: 'pushgateway:9091' });
    const tests = [
      {
        interval: '1m',
        input_series: [A, B, C, OTHER_A].flatMap(traffic),
        alert_rule_test: [
          // p95 0.7375 s: above a's 0.2 s and b's 0.5 s, within c's 1 s and other/a's 2 s.
          { eval_time: '20m', alertname: ALERTS.modelLatency, exp_alerts: [expect_.latency(A, {}, 'stable', 0.7375), expect_.latency(B, {}, 'stable', 0.7375)] },
          // 3% 5xx: above a's 1% and c's 2% budget, within b's 5% and other/a's 10%.
          { eval_time: '20m', alertname: ALERTS.modelErrors, exp_alerts: [expect_.errors(A, {}, 'stable', 0.03), expect_.errors(C, {}, 'stable', 0.03)] },
        ],
      },
      {
        interval: '1m',
        input_series: [
          ...[D1, D2].map((d) => ({ series: sel('mlops_drift_detected', push(d)), values: '1x200' })),
          ...[D1, D2].map((d) => ({ series: sel('mlops_drift_last_run_timestamp_seconds', push(d)), values: '0x200' })),
        ],
        alert_rule_test: [
          // Drifting for 2 hours: past a's 1 h window, not b's 3 h.
          { eval_time: '2h', alertname: ALERTS.driftDetected, exp_alerts: [expect_.driftDetected(D1, {})] },
          // Last run at 0: 2 hours is past 1.5 of a's hourly period, not of b's 6 hours.
          { eval_time: '2h', alertname: ALERTS.driftStopped, exp_alerts: [expect_.driftStopped(D1, {}, 'stale')] },
        ],
      },
      {
        interval: '1m',
        // a succeeded after its failed run; b did not.
        input_series: [...failedRun(T1, 2000), ...failedRun(T2, 500)],
        alert_rule_test: [{ eval_time: '2m', alertname: ALERTS.trainingFailed, exp_alerts: [expect_.trainingFailed(T2, {}, 'b-29000000')] }],
      },
    ];
    writeFileSync(join(dir, 'tests.json'), JSON.stringify({ rule_files: ['rules.json'], evaluation_interval: '1m', group_eval_order: order, tests }, null, 2));
    const check = run('promtool', ['check', 'rules', 'rules.json'], dir);
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    const result = run('promtool', ['test', 'rules', 'tests.json'], dir);
    expect(result.code, result.output).toBe(0);
  });
});
