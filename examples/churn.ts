import type { DriftMonitor, MlopsPlatform, ModelDeployment, TrainingJob, TrainingJobProps } from '../lib';

/** The workloads of one model, as both examples run them. */
export interface ChurnWorkloads {
  readonly training: TrainingJob;
  readonly model: ModelDeployment;
  readonly drift: DriftMonitor;
}

/** How an example trains and serves the churn model. */
export interface ChurnOptions {
  /** The training program and its size. @default - the team's GPU training image */
  readonly training?: Pick<TrainingJobProps, 'image' | 'command' | 'programFiles' | 'env' | 'artifactAccess' | 'artifactPrefix' | 'resources' | 'gpus' | 'dataValidation'>;
  /** Stable pods and the canary's share. @default - 2 to 10 pods, a 10 % canary (9 stable : 1 canary pods) */
  readonly serving?: { readonly minReplicas: number; readonly maxReplicas: number; readonly canaryWeight: number };
}

const GPU_TRAINING: NonNullable<ChurnOptions['training']> = {
  image: 'ghcr.io/acme/churn-train:1.4.2',
  command: ['python', 'train.py'],
  gpus: 1,
  resources: { cpu: '4', memory: '16Gi' },
  dataValidation: { command: ['great_expectations', 'checkpoint', 'run', 'churn_training_data'] },
};

/**
 * A churn model's whole loop on a platform: weekly retraining behind a promotion gate that names
 * the new version `@challenger`, the champion served with autoscaling and the challenger as a
 * canary, an automatic judgement of the canary on its measured errors and latency (promoted to
 * `@champion` or rolled back), and a daily drift check of the logged requests that starts
 * retraining when drift persists.
 */
export function addChurnWorkloads(platform: MlopsPlatform, options: ChurnOptions = {}): ChurnWorkloads {
  // Weekly retraining: promote only if val_auc >= 0.85 and beats the champion. With a canary the gate
  // names the version @challenger; the canary judge moves @champion once the canary has proven itself.
  const training = platform.addTrainingJob('Churn', {
    name: 'churn',
    model: 'churn',
    schedule: '0 0 * * 0',
    ...(options.training ?? GPU_TRAINING),
    promotionGate: { metric: 'val_auc', direction: 'higher_is_better', threshold: 0.85, compareToChampion: true, alias: 'challenger' },
  });

  // The champion behind one Service with autoscaling, and the challenger on a share of the traffic.
  // Without a Gateway the split is by pod count (10 % = 9 stable pods : 1 canary pod).
  const serving = options.serving ?? { minReplicas: 2, maxReplicas: 10, canaryWeight: 10 };
  const model = platform.addModel('Churn', {
    model: 'models:/churn@champion',
    minReplicas: serving.minReplicas,
    maxReplicas: serving.maxReplicas,
    resources: { cpu: '100m', memory: '512Mi', memoryLimit: '1Gi' },
    autoscaling: { cpuUtilization: 70, memoryUtilization: 80 },
    canary: { model: 'models:/churn@challenger', weight: serving.canaryWeight, judge: {} },
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
