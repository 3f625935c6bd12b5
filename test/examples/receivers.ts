import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { resourceNamed, type SynthesizedJson } from '../../lib/testing';
import { run } from '../monitoring/support';
import { itWithTool, requireTool } from '../support/tools';

/**
 * Both examples route alerts to Slack (warnings) and PagerDuty (critical) with the credentials
 * read from keys of the Secret `alerting` in the monitoring namespace. The Alertmanager
 * configuration is taken from the synthesized kube-prometheus-stack values, as the chart ships it,
 * and checked by the real amtool (Debian's prometheus-alertmanager): `check-config`, then
 * `config routes test` for where a critical and a warning alert go.
 */
export function itRoutesAlertsToSlackAndPagerDuty(json: () => SynthesizedJson): void {
  itWithTool(requireTool('amtool'), 'routes alerts to Slack and PagerDuty from the Secret "alerting", and amtool accepts the config', () => {
    const values = JSON.parse(resourceNamed(json(), 'helm_release', 'kube-prometheus-stack').values[0]);
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual(['alerting']);
    const config = values.alertmanager.config;
    expect(config.receivers.map((r: any) => r.name)).toEqual(['null', 'slack', 'pagerduty']);
    const slack = config.receivers[1].slack_configs[0];
    const pagerDuty = config.receivers[2].pagerduty_configs[0];
    expect(slack).toMatchObject({ api_url_file: '/etc/alertmanager/secrets/alerting/slack-url', channel: '#ml-alerts' });
    expect(pagerDuty).toMatchObject({ routing_key_file: '/etc/alertmanager/secrets/alerting/pagerduty-key' });
    expect(JSON.stringify(config)).not.toMatch(/"(api_url|routing_key|service_key)":/);

    const dir = mkdtempSync(join(tmpdir(), 'example-am-'));
    writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(config, null, 2));
    const check = run('amtool', ['check-config', 'alertmanager.yml'], dir);
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain('SUCCESS');
    const route = (labels: string[]) => run('amtool', ['config', 'routes', 'test', '--config.file=alertmanager.yml', ...labels], dir).output.split('\n')[0]!.trim();
    expect(route(['alertname=MlopsTrackingServerDown', 'severity=critical'])).toBe('pagerduty');
    expect(route(['alertname=MlopsDriftDetected', 'severity=warning', 'model=churn'])).toBe('slack');
  });
}
