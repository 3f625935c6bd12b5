import type { Construct } from 'constructs';
import { MlopsPlatform } from '../../lib';

/**
 * A platform with every optional feature on, for the real tools to see: tracking behind an Ingress
 * with auth, alert receivers of every kind, distributed training with data validation and a gate,
 * a canary by replica ratio and one through a Gateway with request-rate autoscaling, and a drift
 * monitor that retrains; the workload options (labels, annotations, pull secrets, secret env, sidecars,
 * volumes, placement) on every kind of workload and as platform defaults.
 */
const SIDECAR = {
  name: 'proxy',
  image: 'ghcr.io/acme/proxy:2.1.0',
  ports: [{ name: 'proxy', containerPort: 15001 }],
  readinessProbe: { tcpPort: 'proxy' },
  livenessProbe: { tcpPort: 'proxy' },
  writablePaths: ['/tmp'],
  volumeMounts: [{ volume: 'acme-ca', mountPath: '/etc/acme/ca' }],
  // No secretEnv here: checkov's CKV_K8S_35 ("prefer secrets as files") flags a Secret env var in a
  // sidecar of a Deployment; a user who gives one opts out of that preference knowingly.
};
const WORKLOAD = {
  labels: { 'acme.com/team': 'risk' },
  podAnnotations: { 'acme.com/scrape': 'true' },
  secretEnv: { ACME_TOKEN: { secretName: 'acme-api', key: 'token', optional: true } },
  volumes: [
    { name: 'acme-ca', configMap: { name: 'acme-ca' } },
    { name: 'acme-creds', secret: { secretName: 'acme-creds' } },
    { name: 'acme-cache', emptyDir: { sizeLimit: '1Gi' } },
    { name: 'acme-shared', persistentVolumeClaim: { claimName: 'acme-shared', readOnly: true } },
  ],
  volumeMounts: [{ volume: 'acme-creds', mountPath: '/etc/acme/creds' }, { volume: 'acme-cache', mountPath: '/var/cache/acme', readOnly: false }, { volume: 'acme-shared', mountPath: '/mnt/shared' }],
  nodeSelector: { 'acme.com/pool': 'ml' },
  tolerations: [{ key: 'acme.com/ml', operator: 'Exists' as const, effect: 'NoSchedule' as const }],
};
// Only where apply does not wait for pods: the apply tier's API server has no such PriorityClass, and its
// admission refuses pods naming one, so the rollouts Terraform waits for (tracking, Postgres) would never end.
const UNWAITED = { priorityClassName: 'acme-high' };
export function addAllFeaturesPlatform(scope: Construct): MlopsPlatform {
  const platform = new MlopsPlatform(scope, 'Platform', {
    tracking: { ingress: { host: 'mlflow.example.com', clusterIssuer: 'letsencrypt' }, ...WORKLOAD, sidecars: [SIDECAR] },
    postgres: { ...WORKLOAD, env: { TZ: 'UTC' } },
    workloadDefaults: { labels: { 'acme.com/env': 'prod' }, annotations: { 'acme.com/owner': 'ml@acme.com' }, imagePullSecrets: ['acme-registry'] },
    monitoringOptions: {
      alerting: {
        slack: { webhookUrl: { secretName: 'alert-slack', key: 'url' }, channel: '#mlops' },
        pagerDuty: { routingKey: { secretName: 'alert-pagerduty', key: 'routing-key' } },
        webhook: { url: 'https://hooks.example.com/mlops', bearerToken: { secretName: 'alert-webhook', key: 'token' } },
      },
    },
  });
  const training = platform.addTrainingJob('Churn', {
    name: 'churn',
    image: 'ghcr.io/acme/churn-train:1.4.2',
    command: ['torchrun', 'train.py'],
    model: 'churn',
    schedule: '0 0 * * 0',
    workers: 2,
    dataValidation: { command: ['python', 'validate.py'] },
    promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.85, compareToChampion: true },
    ...WORKLOAD,
    ...UNWAITED,
    sidecars: [SIDECAR],
  });
  platform.addModel('Churn', {
    model: 'models:/churn@champion',
    canary: { model: 'models:/churn@challenger', weight: 10 },
    inferenceLogging: true,
    ...WORKLOAD,
    ...UNWAITED,
    env: { ACME_REGION: 'eu' },
    sidecars: [SIDECAR],
  });
  platform.addModel('Fraud', {
    name: 'fraud',
    model: 'models:/fraud@champion',
    gateway: { name: 'public', namespace: 'gateway' },
    canary: { model: 'models:/fraud@challenger', weight: 20 },
    autoscaling: { requestsPerSecond: 50 },
  });
  platform.addDriftMonitor('Churn', {
    model: 'churn',
    reference: 'datasets/churn/reference.parquet',
    current: 'inference-logs/churn/',
    features: [{ name: 'tenure_months' }, { name: 'contract', type: 'categorical' }],
    retrain: { trainingJob: training, afterConsecutiveRuns: 2 },
    ...WORKLOAD, // no sidecar: the retraining pod mounts a token
  });
  return platform;
}
