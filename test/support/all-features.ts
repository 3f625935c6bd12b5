import type { Construct } from 'constructs';
import { MlopsPlatform } from '../../lib';

/**
 * A platform with every optional feature on, for the real tools to see: tracking behind an Ingress
 * with auth, alert receivers of every kind, distributed training with data validation and a gate,
 * a canary by replica ratio and one through a Gateway with request-rate autoscaling, and a drift
 * monitor that retrains.
 */
export function addAllFeaturesPlatform(scope: Construct): MlopsPlatform {
  const platform = new MlopsPlatform(scope, 'Platform', {
    tracking: { ingress: { host: 'mlflow.example.com', clusterIssuer: 'letsencrypt' } },
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
  });
  platform.addModel('Churn', {
    model: 'models:/churn@champion',
    canary: { model: 'models:/churn@challenger', weight: 10 },
    inferenceLogging: true,
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
  });
  return platform;
}
