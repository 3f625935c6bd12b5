import type { Construct } from 'constructs';
import { TerraformStack } from '../../lib/core/cdktf';
import { churnExampleTraining, MlopsPlatform, type DriftMonitor, type DvcRemote, type ModelDeployment, type TrainingJob } from '../../lib';
import { addChurnWorkloads } from '../churn';

/**
 * The embedded default: everything in one cluster reached through the local
 * kubeconfig (kind, minikube, k3d, Docker Desktop), no cloud account needed.
 * Monitoring (kube-prometheus-stack, Pushgateway, dashboards, alerts) is on by default. The first
 * training run (apply, then `kubectl create job --from=cronjob/churn churn-first -n mlops`) registers
 * a `@challenger`, which the canary judge makes the first `@champion`.
 */
export class LocalMlopsStack extends TerraformStack {
  public readonly platform: MlopsPlatform;
  public readonly training: TrainingJob;
  public readonly model: ModelDeployment;
  public readonly drift: DriftMonitor;
  public readonly dvc: DvcRemote;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.platform = new MlopsPlatform(this, 'Platform', {
      namespace: 'mlops',
      kubeconfig: { configPath: '~/.kube/config' },
      // Laptop clusters: Docker Desktop has no shared host root mount for node-exporter, and a
      // smaller Prometheus volume fits a laptop's disk.
      monitoringOptions: {
        nodeExporter: { hostRootFsMount: false },
        storage: { size: '10Gi' },
        // Critical alerts page PagerDuty, warnings go to Slack. The credentials are keys of the Secret
        // `alerting` in the monitoring namespace, created by you (kubectl -n monitoring create secret
        // generic alerting --from-literal=slack-url=... --from-literal=pagerduty-key=...), never in the stack.
        alerting: {
          slack: { webhookUrl: { secretName: 'alerting', key: 'slack-url' }, channel: '#ml-alerts' },
          pagerDuty: { routingKey: { secretName: 'alerting', key: 'pagerduty-key' } },
        },
      },
    });
    // Data versioning: `dvc push` through the tracking server's artifact proxy into the artifact
    // volume, under dvc/; the stack output holds the `dvc remote add` commands.
    this.dvc = this.platform.addDvcRemote('Data');

    // Sized for a 4-CPU / 8-GiB kind node: the library's churn program on one CPU in the public MLflow
    // image (no GPU, no image to build), one stable pod and one canary pod (a 50 % canary by pod count).
    const workloads = addChurnWorkloads(this.platform, {
      training: { ...churnExampleTraining(this.platform), resources: { cpu: '1', memory: '2Gi' } },
      serving: { minReplicas: 1, maxReplicas: 3, canaryWeight: 50 },
    });
    this.training = workloads.training;
    this.model = workloads.model;
    this.drift = workloads.drift;
  }
}
