import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool, itWithTool } from '../support/tools';
import { ALERTS, buildRuleGroups, renderRuleFile, type RuleOptions } from '../../lib/monitoring/alert-rules';
import type { ModelWatch, WatchTarget } from '../../lib/core/observability';
import { buildRuleTests, humanizeDuration } from './rule-tests';
import { run, TARGETS } from './support';

const promtool = requireTool('promtool');

/** Writes the generated rules and the unit tests derived from `testTargets`, runs promtool on both. */
function check(ruleTargets: readonly WatchTarget[], testTargets: readonly WatchTarget[], opts: RuleOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-rules-'));
  const groups = buildRuleGroups(ruleTargets, opts);
  writeFileSync(join(dir, 'rules.json'), renderRuleFile(groups));
  // Expected labels and annotations come from the rules as generated for the test targets.
  const cases = buildRuleTests(testTargets, buildRuleGroups(testTargets, opts), opts);
  const tests = cases.map(({ name: _name, ...rest }) => rest);
  writeFileSync(join(dir, 'tests.json'), JSON.stringify({ rule_files: ['rules.json'], evaluation_interval: '1m', tests }, null, 2));
  return { dir, cases, checkRules: run('promtool', ['check', 'rules', 'rules.json'], dir), testRules: run('promtool', ['test', 'rules', 'tests.json'], dir) };
}

describe('alert rules', () => {
  const groups = buildRuleGroups(TARGETS);

  it('make one group per target, each rule with severity, component and runbook annotations', () => {
    expect(groups.map((g) => g.name)).toEqual([
      'mlops-tracking-mlops-mlflow',
      'mlops-model-serving-churn',
      'mlops-model-serving-fraud',
      'mlops-training-mlops-churn-retrain',
      'mlops-training-mlops-bootstrap',
      'mlops-drift-mlops-churn',
    ]);
    for (const rule of groups.flatMap((g) => g.rules)) {
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.labels.namespace).toBeTruthy();
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.description).toBeTruthy();
      expect(rule.annotations.runbook_url).toMatch(/^https:\/\/.+#mlops/);
    }
    const modelRules = groups.flatMap((g) => g.rules).filter((r) => r.labels.component === 'model' || r.labels.component === 'drift');
    for (const r of modelRules) expect(r.labels.model).toBeTruthy();
  });

  it('take thresholds from the targets', () => {
    const churn = groups[1]!.rules;
    expect(churn.find((r) => r.alert === ALERTS.modelLatency)!.expr).toMatch(/histogram_quantile\(0\.95, .*\) > 0\.3$/);
    expect(churn.find((r) => r.alert === ALERTS.modelErrors)!.expr).toMatch(/> 0\.01$/);
    expect(groups[2]!.rules.find((r) => r.alert === ALERTS.modelLatency)!.expr).toContain('fraud_latency_seconds_bucket{');
    expect(groups[3]!.rules.find((r) => r.alert === ALERTS.retrainingMissed)!.expr).toMatch(/> 129600$/);
    const drift = groups[5]!.rules;
    expect(drift.find((r) => r.alert === ALERTS.driftDetected)!.for).toBe('2h');
    expect(drift.filter((r) => r.alert === ALERTS.driftStopped).map((r) => r.expr)).toEqual([
      expect.stringMatching(/> 5400$/),
      expect.stringMatching(/^absent\(/),
    ]);
    // No autoscaler on fraud, so no pinned rule.
    expect(groups[2]!.rules.map((r) => r.alert)).not.toContain(ALERTS.autoscalerPinned);
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
    const { checkRules, testRules } = check(lax, TARGETS);
    expect(checkRules.code).toBe(0);
    expect(testRules.code).not.toBe(0);
    expect(testRules.output).toContain(ALERTS.modelLatency);
    expect(testRules.output).toContain(ALERTS.modelErrors);
    // ... and rules ten times too strict must fire in the must-not-fire cases.
    const strict = TARGETS.map((t) => (t.kind === 'drift' ? { ...t, schedulePeriodSeconds: t.schedulePeriodSeconds / 10 } : t));
    const strictRun = check(strict, TARGETS);
    expect(strictRun.testRules.code).not.toBe(0);
    expect(strictRun.testRules.output).toContain(ALERTS.driftStopped);
  });
});
