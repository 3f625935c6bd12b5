import type { ICloudIdentity } from './identity';
import type { IMonitoringSink } from './observability';
import type { EnvVar } from './workload';
import type { INamespace } from './network';
import type { IArtifactStore } from './artifact-store';
import type { WorkloadMetadataOptions } from './workload-options';

/**
 * What a workload (training job, model, drift monitor) needs from the platform
 * it attaches to. {@link MlopsPlatform} implements it; tests and custom setups
 * can implement it by hand.
 */
export interface IMlopsPlatform {
  /** Name of the installation, the `app.kubernetes.io/instance` prefix of its objects. */
  readonly instanceName: string;
  /** The namespace its workloads go into (an `MlopsNamespace`). */
  readonly namespace: INamespace;
  /** In-cluster URI of the tracking server. */
  readonly trackingUri: string;
  readonly artifactStore: IArtifactStore;
  /** Cloud identity mapping of service accounts, if any. */
  readonly cloudIdentity?: ICloudIdentity;
  /** Monitoring sink, if monitoring is on. */
  readonly monitoring?: IMonitoringSink;
  /**
   * Labels, annotations and pull secrets every workload on the platform starts from (its own values merge over them).
   * @default - none
   */
  readonly workloadDefaults?: WorkloadMetadataOptions;
  /** Env vars a pod needs to call the tracking server (URI and, with auth on, credentials). */
  trackingClientEnv(): EnvVar[];
  /** Pod labels that open the network path to the tracking server. */
  trackingClientLabels(): Record<string, string>;
}
