import { ALERTS, type Severity } from './alert-rules';

/**
 * Alertmanager configuration generated from the alerting props: receivers for
 * Slack, PagerDuty and a generic webhook whose credentials are files mounted
 * from existing Kubernetes Secrets (never values in the stack), routing by
 * severity and model, grouping and inhibition.
 *
 * Kept to fields Alertmanager 0.25 understands (the `amtool` CI checks with),
 * which is why the webhook URL is a plain value (`url_file` needs 0.26) and a
 * webhook credential travels as a bearer token file instead.
 */

/** Where Alertmanager pods see the Secrets listed in `alertmanagerSpec.secrets`. */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';

/** A key of an existing Secret in the monitoring namespace. */
export interface SecretFileRef {
  /** Name of the Secret; it must exist in the monitoring namespace (Alertmanager mounts it from there). */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
}

export type ReceiverKind = 'slack' | 'pagerDuty' | 'webhook';

/** Where alerts go. */
export interface AlertingProps {
  /** Slack incoming webhook; the Secret key holds the webhook URL. */
  readonly slack?: { readonly webhookUrl: SecretFileRef; readonly channel?: string };
  /** PagerDuty Events API v2; the Secret key holds the integration (routing) key. */
  readonly pagerDuty?: { readonly routingKey: SecretFileRef };
  /**
   * A generic webhook. The URL is not secret (put credentials in `bearerToken`);
   * e.g. an in-cluster bridge to Teams or an incident tool.
   */
  readonly webhook?: { readonly url: string; readonly bearerToken?: SecretFileRef };
  /**
   * Receiver per severity.
   * @default - critical: pagerDuty, else slack, else webhook; warning: slack, else webhook; info: nowhere
   */
  readonly severityReceivers?: Partial<Record<Severity, ReceiverKind | 'none'>>;
  /** Per-model receivers per severity, overriding `severityReceivers` for that model's alerts. */
  readonly modelReceivers?: Record<string, Partial<Record<Severity, ReceiverKind | 'none'>>>;
  /** @default '30s' */
  readonly groupWait?: string;
  /** @default '5m' */
  readonly groupInterval?: string;
  /** @default '4h' */
  readonly repeatInterval?: string;
}

/** The receivers and the Secrets Alertmanager must mount for them. */
export function alertmanagerSecrets(props: AlertingProps): string[] {
  const refs = [props.slack?.webhookUrl, props.pagerDuty?.routingKey, props.webhook?.bearerToken];
  return [...new Set(refs.filter((r): r is SecretFileRef => !!r).map((r) => r.secretName))];
}

/** Path of a Secret key inside the Alertmanager pod. */
export function secretFilePath(ref: SecretFileRef): string {
  return `${ALERTMANAGER_SECRETS_DIR}/${ref.secretName}/${ref.key}`;
}

const RECEIVER_NAMES: Record<ReceiverKind | 'none', string> = { slack: 'slack', pagerDuty: 'pagerduty', webhook: 'webhook', none: 'null' };

/** Builds the `alertmanager.yml` object (the chart's `alertmanager.config`). */
export function buildAlertmanagerConfig(props: AlertingProps): Record<string, unknown> {
  const configured = (k: ReceiverKind) => !!props[k];
  const first = (...kinds: ReceiverKind[]): ReceiverKind | 'none' => kinds.find(configured) ?? 'none';
  const bySeverity: Record<Severity, ReceiverKind | 'none'> = {
    critical: props.severityReceivers?.critical ?? first('pagerDuty', 'slack', 'webhook'),
    warning: props.severityReceivers?.warning ?? first('slack', 'webhook'),
    info: props.severityReceivers?.info ?? 'none',
  };
  const used = new Set<ReceiverKind | 'none'>(['none', ...Object.values(bySeverity)]);
  for (const m of Object.values(props.modelReceivers ?? {})) for (const k of Object.values(m)) used.add(k);
  for (const k of used) {
    if (k !== 'none' && !configured(k)) throw new Error(`receiver "${k}" is routed to but not configured; set alerting.${k}`);
  }

  const severityRoutes = (map: Partial<Record<Severity, ReceiverKind | 'none'>>) =>
    (Object.entries(map) as [Severity, ReceiverKind | 'none'][]).map(([severity, kind]) => ({
      receiver: RECEIVER_NAMES[kind],
      matchers: [`severity="${severity}"`],
    }));
  const modelRoutes = Object.entries(props.modelReceivers ?? {}).map(([model, map]) => ({
    receiver: RECEIVER_NAMES[bySeverity.warning],
    // Quoted and escaped: the key is a user's model name, never matcher syntax.
    matchers: [`model=${JSON.stringify(model)}`],
    // Severities the model does not override fall back to the global choice.
    routes: severityRoutes({ ...bySeverity, ...map }),
  }));

  const receivers: Record<string, unknown>[] = [{ name: 'null' }];
  if (props.slack) {
    receivers.push({
      name: 'slack',
      slack_configs: [
        {
          api_url_file: secretFilePath(props.slack.webhookUrl),
          ...(props.slack.channel ? { channel: props.slack.channel } : {}),
          send_resolved: true,
          title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}{{ if .CommonLabels.model }} ({{ .CommonLabels.model }}){{ end }}',
          text: '{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}',
        },
      ],
    });
  }
  if (props.pagerDuty) {
    receivers.push({
      name: 'pagerduty',
      pagerduty_configs: [
        {
          routing_key_file: secretFilePath(props.pagerDuty.routingKey),
          send_resolved: true,
          description: '{{ .CommonAnnotations.summary }}',
          links: [{ href: '{{ .CommonAnnotations.runbook_url }}', text: 'Runbook' }],
        },
      ],
    });
  }
  if (props.webhook) {
    receivers.push({
      name: 'webhook',
      webhook_configs: [
        {
          url: props.webhook.url,
          send_resolved: true,
          ...(props.webhook.bearerToken
            ? { http_config: { authorization: { type: 'Bearer', credentials_file: secretFilePath(props.webhook.bearerToken) } } }
            : {}),
        },
      ],
    });
  }

  return {
    route: {
      receiver: RECEIVER_NAMES[bySeverity.warning],
      group_by: ['alertname', 'model', 'namespace'],
      group_wait: props.groupWait ?? '30s',
      group_interval: props.groupInterval ?? '5m',
      repeat_interval: props.repeatInterval ?? '4h',
      // The chart's default rules raise `Watchdog` permanently (a dead man's switch); it is not a page.
      routes: [{ receiver: 'null', matchers: ['alertname="Watchdog"'] }, ...modelRoutes, ...severityRoutes(bySeverity)],
    },
    inhibit_rules: [
      {
        // Training and drift checks talk to the tracking server; while it is down their alerts are noise.
        // Without `equal`: one tracking server serves the platform, whatever namespaces its jobs run in.
        source_matchers: [`alertname="${ALERTS.trackingDown}"`],
        target_matchers: ['component=~"training|drift"'],
      },
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity=~"warning|info"'],
        equal: ['alertname', 'model', 'namespace'],
      },
      {
        source_matchers: ['severity="warning"'],
        target_matchers: ['severity="info"'],
        equal: ['alertname', 'model', 'namespace'],
      },
    ],
    receivers,
  };
}
