import type { Construct } from 'constructs';
import { TerraformStack } from '../../lib/core/cdktf';
import { MlopsPlatform, type DriftMonitor, type ModelDeployment, type TrainingJob } from '../../lib';
import { addChurnWorkloads } from '../churn';

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
      // Laptop clusters: Docker Desktop has no shared host root mount for node-exporter, and a
      // smaller Prometheus volume fits a laptop's disk.
      monitoringOptions: { nodeExporter: { hostRootFsMount: false }, storage: { size: '10Gi' } },
    });

    const workloads = addChurnWorkloads(this.platform);
    this.training = workloads.training;
    this.model = workloads.model;
    this.drift = workloads.drift;
  }
}
