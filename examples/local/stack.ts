import type { Construct } from 'constructs';
import { TerraformStack } from '../../lib/core/cdktf';
import { MlopsPlatform, type DriftMonitor, type ModelDeployment, type TrainingJob } from '../../lib';

/**
 * The embedded default: everything in one cluster reached through the local
 * kubeconfig (kind, minikube, k3d, Docker Desktop), no cloud account needed.
 * Monitoring (kube-prometheus-stack, Pushgateway, dashboards, alerts) is on by default.
 */
export class LocalMlopsStack extends TerraformStack {
  public readonly platform: MlopsPlatform;
  public readonly training: TrainingJob;
  public readonly model: ModelDeployment;
  public readonly drift: DriftMonitor;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.platform = new MlopsPlatform(this, 'Platform', {
      namespace: 'mlops',
      kubeconfig: { configPath: '~/.kube/config' },
    });

    // Weekly GPU retraining: validate the data, train, promote only if val_auc >= 0.85 and beats the champion.
    this.training = this.platform.addTrainingJob('Churn', {
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
    this.model = this.platform.addModel('Churn', {
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
    this.drift = this.platform.addDriftMonitor('Churn', {
      model: 'churn',
      reference: 'datasets/churn/reference.parquet',
      current: 'inference-logs/churn/',
      features: [
        { name: 'tenure_months', type: 'numeric' },
        { name: 'monthly_charges', type: 'numeric' },
        { name: 'contract', type: 'categorical' },
      ],
      retrain: { trainingJob: this.training, afterConsecutiveRuns: 2 },
    });
  }
}
