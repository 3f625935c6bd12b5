import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool, itWithTool } from '../support/tools';
import { ALERTS, buildRuleGroups, renderRuleFile, ruleFileGroups, type RuleOptions } from '../../lib/monitoring/alert-rules';
import { buildObjectiveGroups, OBJECTIVES } from '../../lib/monitoring/objectives';
import { buildDashboards } from '../../lib/monitoring/dashboards';
import type { ModelWatch, WatchTarget } from '../../lib/core/observability';
import { buildRuleTests, humanizeDuration } from './rule-tests';
import { run, TARGETS } from './support';

const promtool = requireTool('promtool');

/**
 * Writes the generated rules (alerts and the objectives they join on) and the unit tests derived from
 * `testTargets`, runs promtool on both. Cases on an hourly scale go into a file evaluated hourly: promtool
 * evaluates every rule at every step up to the last eval_time, and 37 hours by the minute was most of the
 * run. The objective groups are evaluated first at each step, so alerts see the series they join at once.
 */
function check(ruleTargets: readonly WatchTarget[], testTargets: readonly WatchTarget[], opts: RuleOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-rules-'));
  const ruleGroups = ruleFileGroups(ruleTargets, opts);
  writeFileSync(join(dir, 'rules.json'), renderRuleFile(ruleGroups));
  const order = [...ruleGroups.filter((g) => g.name.startsWith('mlops-objectives-')), ...ruleGroups.filter((g) => !g.name.startsWith('mlops-objectives-'))].map((g) => g.name);
  const cases = buildRuleTests(testTargets, buildRuleGroups(testTargets, opts), opts);
  const files: string[] = [];
  for (const interval of ['1m', '1h']) {
    const tests = cases.filter((c) => (c.interval === '1h') === (interval === '1h')).map(({ name: _name, ...rest }) => rest);
    if (!tests.length) continue;
    files.push(`tests-${interval}.json`);
    writeFileSync(join(dir, files.at(-1)!), JSON.stringify({ rule_files: ['rules.json'], evaluation_interval: interval, group_eval_order: order, tests }, null, 2));
  }
  return { dir, cases, checkRules: run('promtool', ['check', 'rules', 'rules.json'], dir), testRules: run('promtool', ['test', 'rules', ...files], dir) };
}

describe('alert rules', () => {
  const groups = buildRuleGroups(TARGETS);

  it('make a group per tracking server and one fleet-wide group per kind, each alert with severity, component and runbook', () => {
    expect(groups.map((g) => g.name)).toEqual(['mlops-tracking-mlops-mlflow', 'mlops-models', 'mlops-training', 'mlops-drift']);
    for (const rule of groups.flatMap((g) => g.rules)) {
      // Static, or joined from the objective series (which always carry severity, namespace and model).
      if (!rule.labels.severity) expect(rule.expr).toMatch(/group_left \((?:[a-z_]+, )*severity[,)]|^mlops:[a-z_]+\{/);
      else expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      if (!rule.labels.namespace) expect(rule.expr).toMatch(/on \(namespace, /);
      expect(rule.labels.component).toBeTruthy();
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.description).toBeTruthy();
      expect(rule.annotations.runbook_url).toMatch(/^https:\/\/.+#mlops/);
    }
    const modelRules = groups.flatMap((g) => g.rules).filter((r) => r.labels.component === 'model' || r.labels.component === 'drift');
    for (const r of modelRules) expect(r.expr).toMatch(/on \(namespace, model\)|group_left \(model,/);
  });

  it('take thresholds from the targets, as objective data the fleet rules join on', () => {
    const objectives = buildObjectiveGroups(TARGETS).flatMap((g) => g.rules);
    const of = (record: string, labels: Record<string, string>) => objectives.filter((r) => r.record === record && Object.entries(labels).every(([k, v]) => r.labels[k] === v));
    expect(of(OBJECTIVES.latency, { model: 'churn' })).toEqual([{ record: OBJECTIVES.latency, expr: 'vector(0.3)', labels: { namespace: 'serving', model: 'churn', severity: 'critical', objective: '0.3' } }]);
    expect(of(OBJECTIVES.errorBudget, { model: 'fraud' })).toEqual([{ record: OBJECTIVES.errorBudget, expr: 'vector(0.05)', labels: { namespace: 'serving', model: 'fraud', severity: 'warning', budget: '5' } }]);
    expect(of(OBJECTIVES.trainingCronJob, { cronjob: 'churn-retrain' })[0]!.expr).toBe('vector(129600)');
    expect(of(OBJECTIVES.drift, { model: 'churn' })[0]).toMatchObject({ expr: 'vector(5400)', labels: { stale_after: '90m', sustained_for: '2h', period: '1h' } });
    // No autoscaler on fraud, so no autoscaler objective.
    expect(of(OBJECTIVES.autoscaler, { model: 'fraud' })).toEqual([]);
    const models = groups[1]!.rules;
    // One latency rule, with a term per metric naming: the library's, and fraud's own.
    const latency = models.filter((r) => r.alert === ALERTS.modelLatency);
    expect(latency).toHaveLength(1);
    expect(latency[0]!.expr).toContain('http_request_duration_seconds_bucket{');
    expect(latency[0]!.expr).toContain('fraud_latency_seconds_bucket{');
    const drift = groups[3]!.rules;
    expect(drift.find((r) => r.alert === ALERTS.driftDetected)!.for).toBe('2h');
    expect(drift.filter((r) => r.alert === ALERTS.driftStopped).map((r) => r.for)).toEqual([undefined, '90m']);
  });

  it('do not grow with the fleet: a thousand models with two objectives make the same alert rules', () => {
    const churn = TARGETS[1] as ModelWatch;
    const fleet = Array.from({ length: 1000 }, (_, i) => ({ ...churn, model: `m-${i}`, latencyP95Seconds: i % 2 ? 0.2 : 0.5 }));
    expect(buildRuleGroups(fleet)).toEqual(buildRuleGroups([churn]));
    // Per model: latency, error budget, autoscaler, and one Deployment series per variant (churn has stable and canary).
    expect(Object.keys(churn.deployments)).toHaveLength(2);
    expect(buildObjectiveGroups(fleet).map((g) => g.rules.length)).toEqual(Array(10).fill(500));
    // The dashboards neither: the model dashboard picks its model with a variable.
    expect(JSON.stringify(buildDashboards(fleet))).toBe(JSON.stringify(buildDashboards([churn])));
  });

  it('never contain Terraform interpolation sequences', () => {
    expect(renderRuleFile(groups)).not.toMatch(/\$\{|%\{/);
  });

  it('render the test helper like Go humanizeDuration', () => {
    expect(humanizeDuration(0.9)).toBe('900ms');
    expect(humanizeDuration(6)).toBe('6s');
    expect(humanizeDuration(133200)).toBe('1d 13h 0m 0s');
  });

  itWithTool(promtool, 'pass promtool check rules and their unit tests (fire and must-not-fire for every alert)', () => {
    const { checkRules, testRules, cases } = check(TARGETS, TARGETS);
    // promtool exits 0 on lint findings (e.g. duplicate rules); only SUCCESS means a clean file.
    expect(checkRules.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(checkRules.code, checkRules.output).toBe(0);
    expect(testRules.code, testRules.output).toBe(0);
    // Every generated alert name has a firing and a non-firing case.
    const alertNames = new Set(groups.flatMap((g) => g.rules.map((r) => r.alert)));
    for (const alert of alertNames) {
      const tests = cases.flatMap((c) => c.alert_rule_test).filter((t) => t.alertname === alert);
      expect(tests.some((t) => t.exp_alerts.length > 0), `${alert} has a firing case`).toBe(true);
      expect(tests.some((t) => t.exp_alerts.length === 0), `${alert} has a non-firing case`).toBe(true);
    }
  });

  itWithTool(promtool, 'pass with non-default windows', () => {
    const opts = { latencyFor: '3m', errorRateFor: '2m', autoscalerPinnedFor: '30m', trackingDownFor: '10m', runbookBaseUrl: 'https://runbooks.example.com/mlops' };
    const { checkRules, testRules } = check(TARGETS, TARGETS, opts);
    expect(checkRules.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(testRules.code, testRules.output).toBe(0);
  });

  itWithTool(promtool, 'fail their unit tests when a rule uses the wrong threshold', () => {
    // Rules generated with thresholds ten times too lax must miss the firing cases.
    const lax = TARGETS.map((t) => (t.kind === 'model' ? ({ ...t, latencyP95Seconds: t.latencyP95Seconds * 10, errorRatio: t.errorRatio * 10 } as ModelWatch) : t));
    // Only the cases of the changed thresholds: the others would pass and only cost time.
    const { checkRules, testRules } = check(lax, TARGETS.filter((t) => t.kind === 'model'));
    expect(checkRules.code).toBe(0);
    expect(testRules.code).not.toBe(0);
    expect(testRules.output).toContain(ALERTS.modelLatency);
    expect(testRules.output).toContain(ALERTS.modelErrors);
    // ... and rules ten times too strict must fire in the must-not-fire cases.
    const strict = TARGETS.map((t) => (t.kind === 'drift' ? { ...t, schedulePeriodSeconds: t.schedulePeriodSeconds / 10 } : t));
    const strictRun = check(strict, TARGETS.filter((t) => t.kind === 'drift'));
    expect(strictRun.testRules.code).not.toBe(0);
    expect(strictRun.testRules.output).toContain(ALERTS.driftStopped);
  });
});
