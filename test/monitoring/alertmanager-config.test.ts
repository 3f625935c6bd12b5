import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool, itWithTool } from '../support/tools';
import { buildAlertmanagerConfig, alertmanagerSecrets, type AlertingProps } from '../../lib/monitoring/alertmanager-config';
import { run } from './support';

const amtool = requireTool('amtool');

const FULL: AlertingProps = {
  slack: { webhookUrl: { secretName: 'alert-slack', key: 'url' }, channel: '#mlops-alerts' },
  pagerDuty: { routingKey: { secretName: 'alert-pagerduty', key: 'routing-key' } },
  webhook: { url: 'http://bridge.ops.svc:8080/alerts', bearerToken: { secretName: 'alert-webhook', key: 'token' } },
  modelReceivers: { fraud: { critical: 'webhook', warning: 'webhook' } },
};

function amtoolCheck(config: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-am-'));
  writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(config, null, 2));
  return { dir, ...run('amtool', ['check-config', 'alertmanager.yml'], dir) };
}

/** Route an alert with these labels through the config (amtool config routes test), returning the receivers. */
function routeOf(dir: string, labels: Record<string, string>): string {
  const r = run('amtool', ['config', 'routes', 'test', '--config.file=alertmanager.yml', ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)], dir);
  return r.output.split('\n')[0]!.trim(); // amtool adds a warning line about --alertmanager.url
}

describe('Alertmanager configuration', () => {
  it('reads every credential from a mounted Secret file, none inline', () => {
    const config = buildAlertmanagerConfig(FULL);
    const text = JSON.stringify(config);
    expect(text).toContain('"api_url_file":"/etc/alertmanager/secrets/alert-slack/url"');
    expect(text).toContain('"routing_key_file":"/etc/alertmanager/secrets/alert-pagerduty/routing-key"');
    expect(text).toContain('"credentials_file":"/etc/alertmanager/secrets/alert-webhook/token"');
    expect(text).not.toMatch(/"(api_url|routing_key|service_key|credentials)":/);
    expect(alertmanagerSecrets(FULL)).toEqual(['alert-slack', 'alert-pagerduty', 'alert-webhook']);
  });

  it('groups by alert, model and namespace and mutes dependants of a down tracking server', () => {
    const config = buildAlertmanagerConfig(FULL) as any;
    expect(config.route.group_by).toEqual(['alertname', 'model', 'namespace']);
    expect(config.inhibit_rules[0]).toEqual({
      source_matchers: ['alertname="MlopsTrackingServerDown"'],
      target_matchers: ['component=~"training|drift"'],
    });
    expect(config.inhibit_rules[1].equal).toEqual(['alertname', 'model', 'namespace']);
  });

  it('refuses routes to receivers that are not configured', () => {
    expect(() => buildAlertmanagerConfig({ severityReceivers: { critical: 'pagerDuty' } })).toThrow(/receiver "pagerDuty" is routed to but not configured/);
  });

  itWithTool(amtool, 'passes amtool check-config and routes by severity and model', () => {
    const r = amtoolCheck(buildAlertmanagerConfig(FULL));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
    expect(routeOf(r.dir, { alertname: 'MlopsModelLatencyHigh', severity: 'critical', model: 'churn' })).toBe('pagerduty');
    expect(routeOf(r.dir, { alertname: 'MlopsDriftDetected', severity: 'warning', model: 'churn' })).toBe('slack');
    expect(routeOf(r.dir, { alertname: 'MlopsModelLatencyHigh', severity: 'critical', model: 'fraud' })).toBe('webhook');
    expect(routeOf(r.dir, { alertname: 'X', severity: 'info' })).toBe('null');
    expect(routeOf(r.dir, { alertname: 'Watchdog', severity: 'none' })).toBe('null');
  });

  itWithTool(amtool, 'passes amtool check-config with only Slack, and with no receivers', () => {
    const slackOnly = amtoolCheck(buildAlertmanagerConfig({ slack: FULL.slack }));
    expect(slackOnly.code, slackOnly.output).toBe(0);
    expect(routeOf(slackOnly.dir, { alertname: 'MlopsTrackingServerDown', severity: 'critical' })).toBe('slack');
    const none = amtoolCheck(buildAlertmanagerConfig({}));
    expect(none.code, none.output).toBe(0);
  });

  itWithTool(amtool, 'quotes a model name, so a hostile one stays one matcher value and routes nothing else', () => {
    const hostile = 'x", severity=~".*';
    const config = buildAlertmanagerConfig({ ...FULL, modelReceivers: { [hostile]: { critical: 'webhook' } } });
    const route = (config.route as any).routes.find((r: any) => r.routes);
    expect(route.matchers).toEqual([`model=${JSON.stringify(hostile)}`]);
    const { dir, code, output } = amtoolCheck(config);
    expect(code, output).toBe(0);
    // Were the name spliced in unquoted, this alert of another model would match `severity=~".*"` and go to the webhook.
    expect(routeOf(dir, { alertname: 'MlopsModelLatencyHigh', model: 'churn', severity: 'critical' })).toBe('pagerduty');
  });

  itWithTool(amtool, 'amtool rejects a broken configuration (the check is real)', () => {
    const config = buildAlertmanagerConfig(FULL) as any;
    config.route.receiver = 'does-not-exist';
    expect(amtoolCheck(config).code).not.toBe(0);
  });
});
