import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthStack, resourcesOf, resourceNamed, secureDefaultViolations, type SynthesizedJson } from '../../lib/testing';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { ModelDeployment, type ModelDeploymentProps } from '../../lib/serving/model-deployment';
import type { ModelWatch } from '../../lib/core/observability';
import { renderRuleFile } from '../../lib/monitoring/alert-rules';
import { CANARY_ALERTS, canaryRuleGroups } from '../../lib/monitoring/canary-rules';
import { buildDashboards } from '../../lib/monitoring/dashboards';
import { requireTool, itWithTool } from '../support/tools';
import { RecordingSink } from '../drift/support';

type Props = Omit<ModelDeploymentProps, 'platform'>;
const judged: Props = { model: 'models:/churn@champion', canary: { model: 'models:/churn@challenger', weight: 50, judge: {} }, minReplicas: 1, maxReplicas: 3 };

/** Records registrations, with the Prometheus URL Monitoring gives. */
class Sink extends RecordingSink {
  public readonly prometheusUrl = 'http://kps-prometheus.monitoring.svc.cluster.local:9090';
}

function build(props: Props, monitoring: RecordingSink | false = new Sink()): { json: SynthesizedJson; sink?: RecordingSink } {
  const { json } = synthStack((stack) => {
    const platform = new MlopsPlatform(stack, 'Platform', { namespace: 'mlops', monitoring: monitoring || false });
    new ModelDeployment(stack, 'Churn', { platform, ...props });
  });
  return { json, sink: monitoring || undefined };
}

const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.value_from]));

describe('ModelDeployment canary.judge', () => {
  const { json, sink } = build(judged);
  const cron = resourceNamed(json, 'kubernetes_cron_job_v1', 'churn-canary-judge');
  const pod = cron.spec.job_template.spec.template.spec;

  it('runs the shipped judge every 10 minutes with the aliases, objectives and Prometheus of the model', () => {
    expect(cron.spec.schedule).toBe('*/10 * * * *');
    expect(cron.spec.concurrency_policy).toBe('Forbid');
    const c = pod.container[0];
    expect(c.command).toEqual(['python3', '/opt/mlops/canary/canary_judge.py']);
    expect(envOf(c)).toMatchObject({
      JUDGE_REGISTERED_MODEL: 'churn', JUDGE_CHAMPION_ALIAS: 'champion', JUDGE_CHALLENGER_ALIAS: 'challenger',
      JUDGE_NAMESPACE: 'mlops', JUDGE_MODEL: 'churn', JUDGE_WINDOW: '1h', JUDGE_MIN_REQUESTS: '100',
      JUDGE_MAX_ERROR_RATIO: '0.01', JUDGE_MAX_LATENCY_P95_SECONDS: '0.5', JUDGE_CANARY_DEPLOYMENT: 'churn-canary',
      JUDGE_CANARY_REPLICAS: '1', MLFLOW_TRACKING_URI: 'http://mlflow.mlops.svc.cluster.local:5000',
    });
    const program = Object.values(resourcesOf(json, 'kubernetes_config_map_v1')).find((m: any) => m.metadata.name === 'churn-canary-judge-program') as any;
    expect(program.data['canary_judge.py']).toContain('def decide(');
  });

  it('may scale only the canary Deployment, and the canary starts at zero without Terraform fighting the judge', () => {
    const role = resourceNamed(json, 'kubernetes_role_v1', 'churn-canary-judge');
    expect(role.rule).toEqual([{ api_groups: ['apps'], resources: ['deployments/scale'], resource_names: ['churn-canary'], verbs: ['get', 'patch'] }]);
    const canary = resourceNamed(json, 'kubernetes_deployment_v1', 'churn-canary');
    expect(canary.spec.replicas).toBe('0');
    expect(canary.lifecycle).toEqual({ ignore_changes: ['spec[0].replicas'] });
    expect(canary.wait_for_rollout).toBe(false);
    expect(pod.automount_service_account_token).toBe(true);
    // the judge is the only pod here that calls the API server
    expect(secureDefaultViolations(json, { tokenAllowedFor: /^kubernetes_cron_job_v1\.Churn_CanaryJudge_/ })).toEqual([]);
  });

  it('registers the judge with monitoring, which adds its rules and dashboard row', () => {
    const model = sink!.targets.find((t) => t.kind === 'model') as ModelWatch;
    expect(model.canaryJudge).toEqual({ cronJobName: 'churn-canary-judge', periodSeconds: 600 });
    const dashboard = JSON.stringify(buildDashboards([model]).find((d) => d.group === 'models')!.dashboard);
    expect(dashboard).toContain('Canary judge');
    expect(dashboard).toContain('mlops_canary_outcome{namespace=\\"$namespace\\", model=\\"$model\\", outcome=\\"rolled_back\\"}');
    // A platform whose models have no judge gets no judge row.
    const { canaryJudge: _judge, ...unjudged } = model;
    expect(JSON.stringify(buildDashboards([unjudged]).find((d) => d.group === 'models')!.dashboard)).not.toContain('Canary judge');
  });

  it('without a judge keeps the champion-only flow: no judge, a canary with its replicas', () => {
    const plain = build({ ...judged, canary: { model: 'models:/churn@challenger', weight: 50 } });
    expect(Object.values(resourcesOf(plain.json, 'kubernetes_cron_job_v1'))).toEqual([]);
    // the canary's HPA owns its replicas, as before: not started at zero
    expect(resourceNamed(plain.json, 'kubernetes_deployment_v1', 'churn-canary').spec.replicas).toBeUndefined();
    expect(resourceNamed(plain.json, 'kubernetes_horizontal_pod_autoscaler_v2', 'churn-canary').spec.min_replicas).toBe(1);
    const none = build({ model: 'models:/churn@champion' });
    expect(Object.values(resourcesOf(none.json, 'kubernetes_deployment_v1')).map((d: any) => d.metadata.name).sort()).toEqual(['churn', 'mlflow']);
    expect(canaryRuleGroups(none.sink!.targets)).toEqual([]);
  });

  it.each([
    [{ ...judged, model: 'models:/churn/3' }, 'canary.judge', 'needs the stable model to be an alias URI'],
    [{ ...judged, canary: { model: 'models:/fraud@challenger', weight: 50, judge: {} } }, 'canary.judge', 'another alias of the same registered model'],
    [{ ...judged, canary: { model: 'models:/churn@challenger', weight: 50, judge: { window: '90 minutes' } } }, 'canary.judge.window', '90 minutes'],
  ] as [Props, string, string][])('rejects %#: %s', (props, field, text) => {
    expect(() => build(props)).toThrow(field);
    expect(() => build(props)).toThrow(text);
  });

  it('needs a Prometheus to query', () => {
    expect(() => build(judged, false)).toThrow(/canary\.judge\.prometheusUrl.*no monitoring with a Prometheus URL/);
    expect(() => build({ ...judged, canary: { ...judged.canary!, judge: { prometheusUrl: 'http://prometheus.obs.svc:9090' } } }, false)).not.toThrow();
  });
});

describe('canary judge alerts (promtool)', () => {
  it.each(Object.values(CANARY_ALERTS))('has the runbook section the %s alert links to', (alert) => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'runbooks.md'), 'utf8');
    expect([...doc.matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1])).toContain(alert);
  });

  const dir = mkdtempSync(join(tmpdir(), 'canary-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { sink } = build(judged);
  const groups = canaryRuleGroups(sink!.targets);
  const rule = (alert: string, signal?: string) => groups[0]!.rules.find((r) => r.alert === alert && r.labels.signal === signal)!;
  const outcome = (o: string, v: number) => ({ series: `mlops_canary_outcome{job="mlops-canary",namespace="mlops",model="churn",outcome="${o}"}`, values: `${v}x30` });

  const promtool = (name: string, series: object[], tests: object[]) => {
    writeFileSync(join(dir, 'rules.json'), renderRuleFile(groups));
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ rule_files: ['rules.json'], evaluation_interval: '1m', tests: [{ interval: '1m', input_series: series, alert_rule_test: tests }] }));
    const { spawnSync } = require('node:child_process');
    const res = spawnSync('promtool', ['test', 'rules', `${name}.json`], { cwd: dir, encoding: 'utf8' });
    return { code: res.status, out: `${res.stdout}${res.stderr}` };
  };
  const fired = (alert: string, signal?: string) => {
    const r = rule(alert, signal);
    return [{ exp_labels: { ...r.labels, model: 'churn' }, exp_annotations: r.annotations }];
  };

  itWithTool(requireTool('promtool'), 'a rollback fires MlopsCanaryRolledBack, a promotion MlopsCanaryPromoted, for the run that decided', () => {
    const rolledBack = promtool('rolled-back', [outcome('rolled_back', 1), outcome('promoted', 0)], [
      { eval_time: '5m', alertname: CANARY_ALERTS.rolledBack, exp_alerts: fired(CANARY_ALERTS.rolledBack) },
      { eval_time: '5m', alertname: CANARY_ALERTS.promoted, exp_alerts: [] },
    ]);
    expect(rolledBack.code, rolledBack.out).toBe(0);
    const promoted = promtool('promoted', [outcome('rolled_back', 0), outcome('promoted', 1)], [
      { eval_time: '5m', alertname: CANARY_ALERTS.promoted, exp_alerts: fired(CANARY_ALERTS.promoted) },
      { eval_time: '5m', alertname: CANARY_ALERTS.rolledBack, exp_alerts: [] },
    ]);
    expect(promoted.code, promoted.out).toBe(0);
    // The harness can fail: expecting a rollback on a promotion is reported.
    const wrong = promtool('wrong', [outcome('rolled_back', 0), outcome('promoted', 1)], [
      { eval_time: '5m', alertname: CANARY_ALERTS.rolledBack, exp_alerts: fired(CANARY_ALERTS.rolledBack) },
    ]);
    expect(wrong.code).not.toBe(0);
  });

  itWithTool(requireTool('promtool'), 'a failing or silent judge fires MlopsCanaryJudgeFailing', () => {
    const error = promtool('error', [{ series: 'mlops_canary_judge_error{job="mlops-canary",namespace="mlops",model="churn",reason="prometheus"}', values: '1x30' }], [
      { eval_time: '5m', alertname: CANARY_ALERTS.judgeFailing, exp_alerts: fired(CANARY_ALERTS.judgeFailing, 'error') },
    ]);
    expect(error.code, error.out).toBe(0);
    // Last run at t=0, then silence: stale after 3 periods (30 min).
    const stale = promtool('stale', [{ series: 'mlops_canary_last_run_timestamp_seconds{job="mlops-canary",namespace="mlops",model="churn"}', values: '0x60' }], [
      { eval_time: '29m', alertname: CANARY_ALERTS.judgeFailing, exp_alerts: [] },
      { eval_time: '31m', alertname: CANARY_ALERTS.judgeFailing, exp_alerts: fired(CANARY_ALERTS.judgeFailing, 'stale') },
    ]);
    expect(stale.code, stale.out).toBe(0);
  });
});
