import type { KubeconfigConnectionProps } from '../cluster/cluster-connection';
import type { VolumeArtifactStoreProps } from '../stores/volume-artifact-store';
import type { InClusterPostgresProps } from '../stores/in-cluster-postgres';
import type { TrackingServerProps } from '../tracking/tracking-server';
import type { MonitoringProps } from '../monitoring/monitoring';
import type { EksClusterConnectionProps } from '../aws/eks-cluster-connection';
import type { AwsPodIdentityProps } from '../aws/aws-pod-identity';
import type { AwsIrsaIdentityProps } from '../aws/aws-irsa-identity';
import type { EbsStorageClassProps } from '../aws/ebs-storage-class';
import type { S3ArtifactStoreProps } from '../aws/s3-artifact-store';
import type { RdsRegistryDatabaseProps } from '../aws/rds-registry-database';
import type { TrainingJobProps } from '../training/training-job';
import type { ModelDeploymentProps } from '../serving/model-deployment';
import type { DriftMonitorProps, DriftRetrainOptions } from '../drift/drift-monitor';
import type { MlopsPlatformProps } from '../platform/mlops-platform';
import type { DvcRemoteProps } from '../platform/dvc-remote';

/*
 * The spec's public types, in terms of the constructs' props interfaces (so the package's typings need no
 * zod); test/spec/spec-types.test.ts checks at compile time that they accept what the schema accepts.
 * The fields are documented on the construct props they come from and in lib/spec/spec-schema.ts.
 */

/** Everything in the cluster: Postgres and an artifact volume, providers from a kubeconfig. */
export interface InClusterBackendSpec {
  readonly kind: 'in-cluster';
  readonly kubeconfig?: KubeconfigConnectionProps;
  readonly artifactVolume?: Omit<VolumeArtifactStoreProps, 'namespace' | 'removalPolicy'>;
  readonly postgres?: Omit<InClusterPostgresProps, 'namespace' | 'removalPolicy'>;
}

/** An existing EKS cluster, artifacts in S3, the registry in RDS PostgreSQL, EKS Pod Identity or IRSA. */
export interface AwsBackendSpec {
  readonly kind: 'aws';
  readonly region: string;
  /** @default { 'app.kubernetes.io/part-of': 'cdktf-mlops' } */
  readonly defaultTags?: Record<string, string>;
  /** Remote state in S3 with native locking. @default - local state; key `<stack>/terraform.tfstate` */
  readonly state?: { readonly bucket: string; readonly key?: string; readonly region?: string };
  readonly cluster: EksClusterConnectionProps;
  /** @default { kind: 'pod-identity' } */
  readonly identity?: ({ readonly kind: 'pod-identity' } & Omit<AwsPodIdentityProps, 'clusterName'>) | ({ readonly kind: 'irsa' } & Partial<AwsIrsaIdentityProps>);
  /** @default - an EbsStorageClass is created */
  readonly storageClass?: false | Omit<EbsStorageClassProps, 'clusterName'>;
  readonly artifacts: S3ArtifactStoreProps;
  readonly database: Omit<RdsRegistryDatabaseProps, 'namespace' | 'clusterName' | 'cloudIdentity' | 'externalSecrets' | 'vpcId' | 'allowedSecurityGroupIds'> &
    Partial<Pick<RdsRegistryDatabaseProps, 'vpcId' | 'allowedSecurityGroupIds'>>;
}

/** The training example the library ships (`churnExampleTraining`). */
export interface TrainingExampleSpec {
  readonly program: 'churn';
  readonly referencePrefix?: string;
  readonly rows?: number;
}

/** One model of the fleet: its training job, deployment (with canary) and drift check. */
export interface ModelSpec {
  readonly training?: Omit<TrainingJobProps, 'platform' | 'image' | 'command'> & Partial<Pick<TrainingJobProps, 'image' | 'command'>> & { readonly example?: TrainingExampleSpec };
  readonly serving?: Omit<ModelDeploymentProps, 'platform' | 'requestRateMetrics'>;
  readonly drift?: Omit<DriftMonitorProps, 'platform' | 'retrain'> & { readonly retrain?: true | Omit<DriftRetrainOptions, 'trainingJob'> };
}

/** One platform as a spec describes it. */
export interface PlatformSpec extends Pick<MlopsPlatformProps, 'name' | 'namespace' | 'createNamespace' | 'retraining' | 'removalPolicy' | 'storageClassName' | 'workloadDefaults'> {
  /** Name of the Terraform stack. @default - the platform name */
  readonly stack?: string;
  /** @default { kind: 'in-cluster' } */
  readonly backend?: InClusterBackendSpec | AwsBackendSpec;
  readonly tracking?: Omit<TrackingServerProps, 'namespace' | 'artifactStore' | 'database' | 'cloudIdentity' | 'monitoring'>;
  /** false: off. @default - a Monitoring with its defaults */
  readonly monitoring?: false | MonitoringProps;
  /** The fleet, by construct id. */
  readonly models?: Record<string, ModelSpec>;
  /** DVC remotes in the artifact store, by construct id (`addDvcRemote`). */
  readonly dvcRemotes?: Record<string, DvcRemoteSpec>;
}

/** A DVC remote (`addDvcRemote`); `trainingJobs` names models of the spec by id. */
export interface DvcRemoteSpec extends Omit<DvcRemoteProps, 'platform' | 'trainingJobs'> {
  /** Ids of models whose training job pulls the data from the bucket directly. @default - none */
  readonly trainingJobs?: string[];
}

/** A spec file: a platform and per-environment overrides of it. */
export interface SpecFile extends PlatformSpec {
  readonly environments?: Record<string, Record<string, unknown>>;
}
