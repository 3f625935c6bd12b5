import type { IWorkloadIdentity } from './identity';
import type { EgressTarget, INamespace } from './network';
import type { Affinity, EnvVar, Volume, VolumeMount } from './workload';

/** How a workload uses the artifact store. */
export type ArtifactAccess = 'read' | 'readwrite';

/** What a workload asks of the artifact store. */
export interface ArtifactBindingRequest {
  /** The workload's identity; cloud stores grant it access. */
  readonly identity: IWorkloadIdentity;
  readonly access: ArtifactAccess;
  /**
   * Limit access to this prefix (e.g. `drift/churn/`).
   * @default - the whole store
   */
  readonly prefix?: string;
  /** Construct id for the grant resources, unique per workload. */
  readonly grantId: string;
}

/** What a pod needs to reach the store: env, volumes, mounts, labels, placement. */
export interface ArtifactBinding {
  readonly env: EnvVar[];
  readonly volumes: Volume[];
  readonly volumeMounts: VolumeMount[];
  /** Labels that open the store's network egress for the pod. */
  readonly podLabels: Record<string, string>;
  /** Placement the pod needs (a ReadWriteOnce volume is reachable only from one node). */
  readonly affinity?: Affinity;
}

/**
 * Where run artifacts (models, plots, datasets) live. Implemented by
 * {@link VolumeArtifactStore} (in-cluster) and `S3ArtifactStore` (AWS); bring
 * your own by implementing it.
 */
export interface IArtifactStore {
  /** A short description for docs and outputs, e.g. `s3` or `volume`. */
  readonly kind: string;
  /** The tracking server's `--artifacts-destination`. */
  readonly artifactsDestination: string;
  /** Network egress the bound pods need (object store endpoints). */
  readonly egress: EgressTarget[];
  /**
   * Whether `bind()` limits access to the request's `prefix` (S3: an IAM policy per grant). A store
   * whose pods reach all of it (a volume mounted whole, shared S3-compatible credentials) leaves it
   * unset, and a workload asked to limit access to a prefix refuses rather than ignore it.
   * @default false
   */
  readonly scopesPrefixes?: boolean;
  /** The URI under which a workload bound to the store finds `path` (e.g. `s3://bucket/path` or `/mnt/artifacts/path`). */
  uriOf(path: string): string;
  /** Wires one workload to the store and grants its identity the access asked for. */
  bind(request: ArtifactBindingRequest): ArtifactBinding;
  /**
   * Returns why `replicas` tracking-server pods cannot share the store, or
   * undefined when they can (a ReadWriteOnce volume holds one).
   */
  trackingReplicasProblem(replicas: number): string | undefined;
  /**
   * Called by the platform with the namespace its workloads run in, before any workload binds
   * the store, so a store can create its in-cluster objects there (a credentials Secret, a
   * proxy) and the network allows its clients need. Optional, as for `IRegistryDatabase`.
   */
  useNamespace?(namespace: INamespace): void;
}
