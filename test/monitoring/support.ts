import { spawnSync } from 'node:child_process';
import type { WatchTarget } from '../../lib/core/observability';
import { MODEL_LABEL, SCRAPE_LABEL } from '../../lib/core/observability';

/** Runs a tool and returns its exit code and combined stdout and stderr. */
export function run(tool: string, args: string[], cwd?: string): { code: number; output: string } {
  const r = spawnSync(tool, args, { cwd, encoding: 'utf8' });
  return { code: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** A representative platform: tracking server, two models, scheduled and one-off training, a drift monitor. */
export const TARGETS: WatchTarget[] = [
  {
    kind: 'tracking-server',
    name: 'mlflow',
    scrape: {
      namespace: 'mlops',
      podLabels: { 'app.kubernetes.io/name': 'mlflow', [SCRAPE_LABEL]: 'true' },
      portName: 'http',
      basicAuth: { secretName: 'mlflow-metrics-auth', usernameKey: 'username', passwordKey: 'password' },
    },
  },
  {
    kind: 'model',
    model: 'churn',
    namespace: 'serving',
    scrape: { namespace: 'serving', podLabels: { [MODEL_LABEL]: 'churn' }, portName: 'metrics' },
    deployments: { stable: 'churn-stable', canary: 'churn-canary' },
    autoscalerName: 'churn',
    minReplicas: 2,
    maxReplicas: 6,
    latencyP95Seconds: 0.3,
    errorRatio: 0.01,
    metrics: { requestDuration: 'http_request_duration_seconds', requestsTotal: 'http_requests_total', statusLabel: 'status' },
  },
  {
    kind: 'model',
    model: 'fraud',
    namespace: 'serving',
    scrape: { namespace: 'serving', podLabels: { [MODEL_LABEL]: 'fraud' }, portName: 'metrics', path: '/prometheus' },
    deployments: { stable: 'fraud-stable' },
    minReplicas: 1,
    maxReplicas: 1,
    latencyP95Seconds: 2,
    errorRatio: 0.05,
    metrics: { requestDuration: 'fraud_latency_seconds_bucket', requestsTotal: 'fraud_requests_total', statusLabel: 'code' },
    severity: 'warning',
  },
  { kind: 'training', name: 'churn-retrain', namespace: 'mlops', model: 'churn', cronJobName: 'churn-retrain', schedulePeriodSeconds: 86400 },
  { kind: 'training', name: 'bootstrap', namespace: 'mlops', jobName: 'bootstrap-train' },
  {
    kind: 'drift',
    model: 'churn',
    namespace: 'mlops',
    cronJobName: 'churn-drift',
    schedulePeriodSeconds: 3600,
    sustainedForSeconds: 7200,
    features: ['tenure', 'plan'],
  },
];
