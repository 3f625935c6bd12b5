import type { TerraformResource } from './cdktf';

/**
 * A Kubernetes workload resource (Deployment, StatefulSet, Job, CronJob) as the
 * constructs expose it, for escape hatches: `addOverride`, `lifecycle`,
 * `dependsOn` and references to its metadata.
 *
 * Typed as cdktf's `TerraformResource` rather than the provider's class: each
 * workload class of the kubernetes provider brings about 800 KB of struct
 * typings, which every consumer's type-check would load. For typed access to
 * the spec, cast to the class (it is one), e.g.
 * `model.stable.deployment as DeploymentV1` with `DeploymentV1` from
 * `@cdktf/provider-kubernetes/lib/deployment-v1`.
 */
export interface WorkloadResource extends TerraformResource {
  readonly metadata: WorkloadMetadata;
}

/** References to a workload resource's metadata (Terraform expressions until apply). */
export interface WorkloadMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}
