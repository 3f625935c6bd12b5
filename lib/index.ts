// Public API of cdktf-mlops. Everything not exported here may change freely.
export { ValidationError, type ValidationProblem } from './core/errors';
export { parseProps, type PropsSchema } from './core/props';
export * as validators from './core/validators';
export { standardLabels, selectorLabels, TRACKING_CLIENT_LABEL, OBJECT_STORE_CLIENT_LABEL, type ComponentIdentity } from './core/labels';
export {
  buildPodSpec,
  envFromSecret,
  DEFAULT_UID,
  type PodOptions,
  type ContainerOptions,
  type ResourceOptions,
  type SecurityOptions,
  type ProbeOptions,
  type ProbeTiming,
  type PodSpec,
  type EnvVar,
  type Volume,
  type VolumeMount,
  type Toleration,
  type Affinity,
  type TopologySpread,
  podSecurityProblems,
} from './core/workload';
export type { WorkloadResource, WorkloadMetadata } from './core/workload-resource';
export type {
  Container,
  ContainerPort,
  ContainerSecurityContext,
  EnvFrom,
  KeyRef,
  KeyToPath,
  LabelSelector,
  NodeAffinity,
  NodeSelectorTerm,
  PodAffinity,
  PodAffinityTerm,
  PodSecurityContext,
  Probe,
  SeccompProfile,
  SelectorRequirement,
} from './core/pod-spec';
export type {
  WorkloadOptions,
  WorkloadMetadataOptions,
  WorkloadVolume,
  WorkloadVolumeMount,
  SidecarOptions,
  SecretEnvValue,
} from './core/workload-options';
export { ensureRandomProvider } from './core/providers';
export { literal, literalString } from './core/literal';
export type { IArtifactStore, ArtifactBinding, ArtifactBindingRequest, ArtifactAccess } from './core/artifact-store';
export type { IMlopsPlatform } from './core/platform-context';
export { applyRemovalPolicy, type RemovalPolicy } from './core/removal';
export { DEFAULT_IMAGES } from './core/images';
export type { IWorkloadIdentity, ICloudIdentity, WorkloadKind } from './core/identity';
export type { NetworkPeer, NetworkPort, EgressTarget, INamespace, IngressRule, EgressRule, SharedEgress } from './core/network';
export * from './core/observability';

export { MlopsNamespace, type MlopsNamespaceProps } from './cluster/mlops-namespace';
export { KubeconfigConnection, type IClusterConnection, type KubeconfigConnectionProps } from './cluster/cluster-connection';
export { WorkloadIdentity, type WorkloadIdentityProps } from './cluster/workload-identity';
export { DisruptionBudgets, type DisruptionBudgetOptions } from './cluster/disruption-budgets';

export type { IRegistryDatabase, SecretKeySelector } from './stores/registry-database';
export { VolumeArtifactStore, type VolumeArtifactStoreProps } from './stores/volume-artifact-store';
export { InClusterPostgres, type InClusterPostgresProps } from './stores/in-cluster-postgres';

export { TrackingServer, type TrackingServerProps, type TrackingAuthOptions, type TrackingIngressOptions } from './tracking/tracking-server';

export { MlopsPlatform, type MlopsPlatformProps, type RetrainingPolicy } from './platform/mlops-platform';
export { DvcRemote, type DvcRemoteProps, type DvcRemoteProtocol } from './platform/dvc-remote';
export { renderTrainingWorkflow, type TrainingWorkflowOptions } from './platform/training-workflow';
export type { ConstructFactory, PlatformConstructs } from './platform/platform-constructs';

// AWS backends
export * from './aws/s3-artifact-store';
export * from './aws/s3-artifact-store-base';
export * from './aws/imported-s3-artifact-store';
export * from './aws/s3-compatible-artifact-store';
export * from './aws/rds-registry-database';
export * from './aws/existing-rds-registry-database';
export * from './aws/aws-pod-identity';
export * from './aws/aws-irsa-identity';
export * from './aws/eks-cluster-connection';
export * from './aws/ebs-storage-class';
export * from './aws/pod-identity-agent';
export * from './aws/external-secrets-operator';
export * from './aws/encryption-key';
export { bucketNameProblem } from './aws/validators';
export { RegistryDatabaseSecret, type RegistryDatabaseSecretProps } from './aws/registry-database-secret';

// Training, serving, monitoring
export {
  TrainingJob,
  type TrainingJobProps,
  type DataValidationOptions,
  type ScratchOptions,
  type PromotionGateOptions,
} from './training/training-job';
export { churnExampleTraining, TRAINING_PROGRAM_DIR, type ChurnExampleTraining } from './training/training-program';
export type { GateCondition } from './training/promotion-gate';
export {
  ModelDeployment,
  MODEL_CLIENT_LABEL,
  CANARY_EFFECTIVE_WEIGHT_ANNOTATION,
  type ModelDeploymentProps,
  type ModelMetricsOptions,
  type ModelAutoscalingOptions,
  type ModelCanaryOptions,
  type ModelGatewayOptions,
  type ModelIngressOptions,
} from './serving/model-deployment';
// Built by ModelDeployment (its canary.judge prop) and exposed as its field; not constructed directly.
export type { CanaryJudge, CanaryJudgeProps, CanaryJudgeOptions } from './serving/canary-judge';
export type { ParsedCanaryJudge } from './serving/canary-judge-props';
export { ModelVariant, type ModelVariantProps, type VariantAutoscaling, type VariantName } from './serving/model-variant';
export { RequestRateMetrics, type RequestRateMetricsProps } from './serving/request-rate-metrics';
export { canaryReplicaSplit, type CanarySplit, type CanarySplitRequest } from './serving/canary-split';
export * from './monitoring';
export type { ScrapeConfigOptions } from './monitoring/scrape-configs';
export {
  DriftMonitor,
  type DriftMonitorProps,
  type DriftFeature,
  type DriftRetrainOptions,
  type RetrainTarget,
  type ApiServerEgressOptions,
} from './drift/drift-monitor';

// The platform spec: a YAML or JSON file parsed by the constructs' own schemas (lib/spec).
export { platformFromSpec } from './spec/from-spec';
export { loadSpec, specStacks, validateSpec, type LoadedSpec } from './spec/spec-file';
export { SpecError, SpecSource, formatProblem, type SpecProblem } from './spec/spec-source';
export { platformSpecJsonSchema } from './spec/spec-schema';
export type { PlatformSpec, SpecFile, ModelSpec, InClusterBackendSpec, AwsBackendSpec, TrainingExampleSpec, DvcRemoteSpec } from './spec/spec-types';
export type { EnvironmentSpec } from './spec/environments';
