import type { Construct } from 'constructs';
import { TerraformStack } from '../../lib/core/cdktf';
import { MlopsPlatform } from '../../lib';

/**
 * The embedded default: everything in one cluster reached through the local
 * kubeconfig (kind, minikube, k3d, Docker Desktop), no cloud account needed.
 */
export class LocalMlopsStack extends TerraformStack {
  public readonly platform: MlopsPlatform;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.platform = new MlopsPlatform(this, 'Platform', {
      namespace: 'mlops',
      kubeconfig: { configPath: '~/.kube/config' },
    });
  }
}
