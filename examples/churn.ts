import type { DriftMonitor, MlopsPlatform, ModelDeployment, TrainingJob } from '../lib';

/** The workloads of one model, as both examples run them. */
export interface ChurnWorkloads {
  readonly training: TrainingJob;
  readonly model: ModelDeployment;
  readonly drift: DriftMonitor;
}

/**
 * A churn model's whole loop on a platform: weekly GPU retraining behind data
 * validation and a promotion gate, the champion served with autoscaling and a
 * 10 % canary, and a daily drift check of the logged requests that starts
 * retraining when drift persists.
 */
export function addChurnWorkloads(platform: MlopsPlatform): ChurnWorkloads {
  // Weekly GPU retraining: validate the data, train, promote only if val_auc >= 0.85 and beats the champion.
  const training = platform.addTrainingJob('Churn', {
    name: 'churn',
    image: 'ghcr.io/acme/churn-train:1.4.2',
    command: ['python', 'train.py'],
    model: 'churn',
    schedule: '0 0 * * 0',
    gpus: 1,
    resources: { cpu: '4', memory: '16Gi' },
    dataValidation: { command: ['great_expectations', 'checkpoint', 'run', 'churn_training_data'] },
    promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.85, compareToChampion: true },
  });

  // The champion behind one Service with autoscaling, and the challenger on 10 % of the traffic.
  // Without a Gateway the split is by pod count, so 10 % means 9 stable pods : 1 canary pod; small
  // requests keep that within a laptop cluster (with a Gateway, `gateway: {...}`, 2 + 1 pods would do).
  const model = platform.addModel('Churn', {
    model: 'models:/churn@champion',
    minReplicas: 2,
    maxReplicas: 10,
    resources: { cpu: '100m', memory: '512Mi', memoryLimit: '1Gi' },
    autoscaling: { cpuUtilization: 70, memoryUtilization: 80 },
    canary: { model: 'models:/churn@challenger', weight: 10 },
    inferenceLogging: true,
  });

  // Daily drift check of the logged requests of the last 7 days against the training data;
  // two drifted days in a row start the weekly training job now.
  const drift = platform.addDriftMonitor('Churn', {
    model: 'churn',
    reference: 'datasets/churn/reference.parquet',
    current: 'inference-logs/churn/',
    features: [
      { name: 'tenure_months', type: 'numeric' },
      { name: 'monthly_charges', type: 'numeric' },
      { name: 'contract', type: 'categorical' },
    ],
    retrain: { trainingJob: training, afterConsecutiveRuns: 2 },
  });
  return { training, model, drift };
}
