import { Construct } from 'constructs';
import { z } from 'zod';
import { parseProps } from '../core/props';
import { fail } from '../core/errors';
import { contracts, duration, implementing, k8sName, k8sNameOrToken } from '../core/validators';
import { cronJobSchedule } from '../core/cron';
import { TRACKING_CLIENT_LABEL } from '../core/labels';
import { removalPolicySchema, type RemovalPolicy } from '../core/removal';
import type { ICloudIdentity } from '../core/identity';
import type { IMonitoringSink } from '../core/observability';
import type { EnvVar } from '../core/workload';
import { KubeconfigConnection, type IClusterConnection, type KubeconfigConnectionProps } from '../cluster/cluster-connection';
import { MlopsNamespace } from '../cluster/mlops-namespace';
import type { IArtifactStore } from '../stores/artifact-store';
import type { IRegistryDatabase } from '../stores/registry-database';
import { VolumeArtifactStore, type VolumeArtifactStoreProps } from '../stores/volume-artifact-store';
import { InClusterPostgres, type InClusterPostgresProps } from '../stores/in-cluster-postgres';
import { TrackingServer, type TrackingServerProps } from '../tracking/tracking-server';
import { Monitoring, type MonitoringProps } from '../monitoring/monitoring';
import { ModelDeployment, type ModelDeploymentProps } from '../serving/model-deployment';
import { TrainingJob, type TrainingJobProps } from '../training/training-job';
import { DriftMonitor, type DriftMonitorProps } from '../drift/drift-monitor';
import type { IMlopsPlatform } from './platform-context';
import { DvcRemote, type DvcRemoteProps } from './dvc-remote';
import { withDefaults, workloadMetadataShape, type WorkloadMetadataOptions, type WorkloadOptions } from '../core/workload-options';
import { applyObjectMetadata } from '../core/object-metadata';
import { checkBuilt, constructFactory, partClass, type PlatformConstructs } from './platform-constructs';

/**
 * The fleet's retraining policy ("retrain if drift persists for 48 hours"): defaults for every drift
 * monitor of the platform, each of which its own props override.
 */
export interface RetrainingPolicy {
  /**
   * When drift checks run; an `H` field is picked per monitor, so a fleet's checks start spread out.
   * @default 'H 2 * * *' (daily, at a minute of the 02:00 hour picked per monitor)
   */
  readonly schedule?: string;
  /** A feature drifts when its population stability index reaches this value. @default 0.1 */
  readonly psiThreshold?: number;
  /** Share of features that must drift for the dataset to count as drifted. @default 0.3 */
  readonly driftShareThreshold?: number;
  /** With `retrain`: retrain after this many consecutive drifted runs. @default 2 */
  readonly afterConsecutiveRuns?: number;
  /** How long drift must persist before the drift alert fires. @default - afterConsecutiveRuns times the schedule period */
  readonly sustainedFor?: string;
}

/** Properties of an {@link MlopsPlatform}. */
export interface MlopsPlatformProps<
  M extends ModelDeployment = ModelDeployment,
  J extends TrainingJob = TrainingJob,
  D extends DriftMonitor = DriftMonitor,
  S extends TrackingServer = TrackingServer,
> {
  /**
   * Name of the installation; prefixes `app.kubernetes.io/instance` labels.
   * @default 'mlops'
   */
  readonly name?: string;
  /**
   * Namespace of every component.
   * @default 'mlops'
   */
  readonly namespace?: string;
  /**
   * Create the namespace (false: use an existing one).
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Providers already configured (e.g. `EksClusterConnection`, or your own).
   * @default - providers from `kubeconfig`
   */
  readonly cluster?: IClusterConnection;
  /**
   * Kubeconfig path and context for the providers, when `cluster` is not given.
   * @default { configPath: '~/.kube/config' } with its current context
   */
  readonly kubeconfig?: KubeconfigConnectionProps;
  /**
   * Artifact store (e.g. `S3ArtifactStore`).
   * @default - an in-cluster volume configured by `artifactVolume`
   */
  readonly artifactStore?: IArtifactStore;
  /**
   * Settings of the default in-cluster artifact volume.
   * @default - 50Gi ReadWriteOnce
   */
  readonly artifactVolume?: Omit<VolumeArtifactStoreProps, 'namespace' | 'removalPolicy'>;
  /**
   * Registry database (e.g. `RdsRegistryDatabase`).
   * @default - in-cluster Postgres configured by `postgres`
   */
  readonly database?: IRegistryDatabase;
  /**
   * Settings of the default in-cluster Postgres.
   * @default - 20Gi, 250m CPU, 512Mi
   */
  readonly postgres?: Omit<InClusterPostgresProps, 'namespace' | 'removalPolicy'>;
  /**
   * Settings of the tracking server.
   * @default - one replica, auth on only when exposed
   */
  readonly tracking?: Omit<TrackingServerProps, 'namespace' | 'artifactStore' | 'database' | 'cloudIdentity' | 'monitoring'>;
  /**
   * Cloud identity for the workloads' service accounts (`AwsPodIdentity`, `AwsIrsaIdentity`).
   * @default - none
   */
  readonly cloudIdentity?: ICloudIdentity;
  /**
   * Monitoring that workloads register with: `false` turns it off, an
   * `IMonitoringSink` (e.g. a `Monitoring` shared by several platforms) is used as is.
   * @default - a `Monitoring` (kube-prometheus-stack, Pushgateway, dashboards, alerts) configured by `monitoringOptions`
   */
  readonly monitoring?: IMonitoringSink | false;
  /**
   * Settings of the default `Monitoring`.
   * @default - namespace `monitoring`, 15 days retention, 50Gi
   */
  readonly monitoringOptions?: MonitoringProps;
  /**
   * Models served on the platform, by id (the same as {@link MlopsPlatform.addModel}).
   * @default - none
   */
  readonly models?: Record<string, Omit<ModelDeploymentProps, 'platform'>>;
  /**
   * Training jobs, by id (the same as {@link MlopsPlatform.addTrainingJob}).
   * @default - none
   */
  readonly trainingJobs?: Record<string, Omit<TrainingJobProps, 'platform'>>;
  /**
   * Fleet-wide retraining policy: defaults for every drift monitor added to the platform.
   * @default - each drift monitor's own defaults
   */
  readonly retraining?: RetrainingPolicy;
  /**
   * Whether stateful resources (namespace, database, artifact volume) survive a destroy.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The StorageClass of every volume the platform creates (artifact volume, Postgres, Prometheus,
   * Pushgateway) unless their own props name one. Set it on clusters without a default
   * StorageClass (new EKS clusters since 1.30 have none: use `EbsStorageClass`), or a PVC never
   * binds and the atomic chart installs roll back.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Labels and annotations on every Kubernetes object the platform creates (and the pods), and pull
   * secrets of every pod it builds; each workload's own `labels`, `annotations` and `imagePullSecrets`
   * merge over them. Objects rendered by Helm charts (the disruption budgets, kube-prometheus-stack, the HTTPRoute) are not covered.
   * @default - none
   */
  readonly workloadDefaults?: WorkloadMetadataOptions;
  /**
   * The classes (or factories) the platform builds its models, training jobs, drift monitors and
   * tracking server with, e.g. `{ model: AcmeModel }` for a company subclass of `ModelDeployment`:
   * `addModel` then builds an `AcmeModel` and `platform.models` holds it, typed as one.
   * @default - the library's classes
   */
  readonly constructs?: PlatformConstructs<M, J, D, S>;
}

const constructId = z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { message: 'must be an id such as "Churn" (letters and digits)' });

const schema = z.strictObject({
  name: k8sName.default('mlops'),
  namespace: k8sName.default('mlops'),
  createNamespace: z.boolean().default(true),
  cluster: implementing<IClusterConnection>('IClusterConnection', [], ['kubernetesProvider', 'helmProvider']).optional(),
  kubeconfig: z.object({}).passthrough().optional(),
  artifactStore: implementing<IArtifactStore>('IArtifactStore', ['uriOf', 'bind', 'trackingReplicasProblem'], ['kind', 'artifactsDestination', 'egress']).optional(),
  artifactVolume: z.object({}).passthrough().optional(),
  database: implementing<IRegistryDatabase>('IRegistryDatabase', ['allowConnectionsFrom'], ['kind', 'uriSecret', 'authDatabaseName', 'egress']).optional(),
  postgres: z.object({}).passthrough().optional(),
  tracking: z.object({}).passthrough().optional(),
  cloudIdentity: contracts.cloudIdentity().optional(),
  monitoring: z.union([z.literal(false), contracts.monitoringSink()]).optional(),
  monitoringOptions: z.object({}).passthrough().optional(),
  models: z.record(constructId, z.object({}).passthrough()).optional(),
  trainingJobs: z.record(constructId, z.object({}).passthrough()).optional(),
  retraining: z
    .strictObject({
      schedule: cronJobSchedule.optional(),
      psiThreshold: z.number().gt(0, { message: 'must be a number greater than 0 (0.1 is the usual "significant shift")' }).optional(),
      driftShareThreshold: z.number().gt(0).max(1, { message: 'must be a share of features greater than 0 and at most 1, e.g. 0.3' }).optional(),
      afterConsecutiveRuns: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' }).optional(),
      sustainedFor: duration.optional(),
    })
    .optional(),
  removalPolicy: removalPolicySchema.default('retain'),
  storageClassName: k8sNameOrToken.optional(),
  workloadDefaults: z.strictObject(workloadMetadataShape).optional(),
  constructs: z
    .strictObject({ model: constructFactory.optional(), trainingJob: constructFactory.optional(), driftMonitor: constructFactory.optional(), trackingServer: constructFactory.optional() })
    .optional(),
});

/**
 * A whole MLOps platform on one cluster: namespace with default-deny network
 * policies, registry database and artifact store (in-cluster by default), and
 * the MLflow tracking server. Training jobs, models, monitoring and drift
 * monitors attach to it.
 */
export class MlopsPlatform<
    M extends ModelDeployment = ModelDeployment,
    J extends TrainingJob = TrainingJob,
    D extends DriftMonitor = DriftMonitor,
    S extends TrackingServer = TrackingServer,
  >
  extends Construct
  implements IMlopsPlatform {
  public readonly instanceName: string;
  public readonly namespace: MlopsNamespace;
  /** The namespace name. */
  public readonly namespaceName: string;
  public readonly cluster: IClusterConnection;
  public readonly artifactStore: IArtifactStore;
  public readonly database: IRegistryDatabase;
  public readonly trackingServer: S;
  /** In-cluster URI of the tracking server. */
  public readonly trackingUri: string;
  public readonly cloudIdentity?: ICloudIdentity;
  public readonly monitoring?: IMonitoringSink;
  /** Served models, by id. */
  public readonly models: Record<string, M> = {};
  /** Training jobs, by id. */
  public readonly trainingJobs: Record<string, J> = {};
  /** Drift monitors, by id. */
  public readonly driftMonitors: Record<string, D> = {};
  /** Labels, annotations and pull secrets every workload of the platform starts from. */
  public readonly workloadDefaults?: WorkloadMetadataOptions;
  private readonly constructs: PlatformConstructs<M, J, D, S>;
  /** The fleet-wide retraining policy its drift monitors start from. */
  public readonly retraining: RetrainingPolicy;

  constructor(scope: Construct, id: string, props: MlopsPlatformProps<M, J, D, S> = {}) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const path = this.node.path;
    if (p.cluster && p.kubeconfig) fail(path, 'kubeconfig', 'got both cluster and kubeconfig; give one: cluster for providers you configured, kubeconfig for a file and context');
    if (p.artifactStore && p.artifactVolume) fail(path, 'artifactVolume', 'got both artifactStore and artifactVolume; artifactVolume configures the default store and is ignored with artifactStore');
    if (p.database && p.postgres) fail(path, 'postgres', 'got both database and postgres; postgres configures the default database and is ignored with database');

    const removalPolicy = p.removalPolicy as RemovalPolicy;
    this.workloadDefaults = p.workloadDefaults;
    this.constructs = (p.constructs ?? {}) as PlatformConstructs<M, J, D, S>;
    if (p.workloadDefaults) applyObjectMetadata(this, { labels: p.workloadDefaults.labels, annotations: p.workloadDefaults.annotations });
    const defaults = p.workloadDefaults;
    this.instanceName = p.name;
    this.retraining = p.retraining ?? {};
    this.cloudIdentity = p.cloudIdentity;
    if (p.monitoringOptions && p.monitoring !== undefined) {
      fail(path, 'monitoringOptions', `got monitoringOptions with monitoring: ${p.monitoring === false ? 'false' : 'a sink'}; monitoringOptions configures the default Monitoring only`);
    }
    const storageClassName = p.storageClassName;
    const monitoringNamespace = (p.monitoringOptions as MonitoringProps | undefined)?.namespace ?? (p.monitoring ? p.monitoring.prometheusNamespace : 'monitoring');
    if (p.monitoring !== false && monitoringNamespace === p.namespace) {
      fail(path, p.monitoringOptions ? 'monitoringOptions.namespace' : 'namespace', `got ${JSON.stringify(p.namespace)} for both the platform's namespace and the monitoring namespace; Prometheus and the charts need their own (the platform's is default-deny and Pod Security restricted)`);
    }
    this.monitoring =
      p.monitoring === false ? undefined : (p.monitoring ?? new Monitoring(this, 'Monitoring', withStorageClass(p.monitoringOptions as MonitoringProps | undefined, storageClassName)));
    this.cluster = p.cluster ?? new KubeconfigConnection(this, 'Cluster', p.kubeconfig as KubeconfigConnectionProps | undefined);
    this.namespace = new MlopsNamespace(this, 'Namespace', { name: p.namespace, create: p.createNamespace, removalPolicy });
    this.namespaceName = this.namespace.name;
    this.artifactStore =
      p.artifactStore ??
      new VolumeArtifactStore(this, 'Artifacts', { storageClassName, ...(p.artifactVolume as object), namespace: this.namespace, removalPolicy });
    this.database =
      p.database ?? new InClusterPostgres(this, 'Database', { storageClassName, ...withDefaults((p.postgres ?? {}) as WorkloadOptions, defaults), namespace: this.namespace, removalPolicy });
    this.artifactStore.useNamespace?.(this.namespace);
    this.database.useNamespace?.(this.namespace);
    const Tracking = partClass(this.constructs.trackingServer, TrackingServer);
    const tracking = new Tracking(this, 'Tracking', {
      ...withDefaults((p.tracking ?? {}) as WorkloadOptions, defaults),
      namespace: this.namespace,
      artifactStore: this.artifactStore,
      database: this.database,
      cloudIdentity: p.cloudIdentity,
      monitoring: this.monitoring,
    });
    this.trackingServer = checkBuilt<S>(tracking, TrackingServer, this, 'Tracking', 'constructs.trackingServer');
    this.trackingUri = this.trackingServer.trackingUri;
    for (const [jobId, jobProps] of Object.entries(p.trainingJobs ?? {})) this.addTrainingJob(jobId, jobProps as Omit<TrainingJobProps, 'platform'>);
    for (const [modelId, modelProps] of Object.entries(p.models ?? {})) this.addModel(modelId, modelProps as Omit<ModelDeploymentProps, 'platform'>);
  }

  /**
   * Serves a model on the platform: it gets the tracking URI, network allows,
   * a serving identity and monitoring. Its construct id is `Model<id>`.
   */
  public addModel(id: string, props: Omit<ModelDeploymentProps, 'platform'>): M {
    const [Model, modelId] = [partClass(this.constructs.model, ModelDeployment), `Model${id}`];
    const model = checkBuilt<M>(new Model(this, modelId, { ...props, platform: this }), ModelDeployment, this, modelId, 'constructs.model');
    this.models[id] = model;
    return model;
  }

  /**
   * Adds a one-off or scheduled training job that gets the tracking URI,
   * artifact-store access, identity, network allows and monitoring. Its construct id is `Training<id>`.
   */
  public addTrainingJob(id: string, props: Omit<TrainingJobProps, 'platform'>): J {
    const [Job, jobId] = [partClass(this.constructs.trainingJob, TrainingJob), `Training${id}`];
    const job = checkBuilt<J>(new Job(this, jobId, { ...props, platform: this }), TrainingJob, this, jobId, 'constructs.trainingJob');
    this.trainingJobs[id] = job;
    return job;
  }

  /**
   * Adds a scheduled drift check of one model's production data against its
   * training data, optionally starting its training CronJob when drift
   * persists. Its construct id is `Drift<id>`. Props it leaves out come from the platform's
   * {@link MlopsPlatformProps.retraining} policy.
   */
  public addDriftMonitor(id: string, props: Omit<DriftMonitorProps, 'platform'>): D {
    const { afterConsecutiveRuns, ...defaults } = this.retraining;
    const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
    const retrain = props.retrain && { ...defined({ afterConsecutiveRuns }), ...defined(props.retrain) } as DriftMonitorProps['retrain'];
    const [Monitor, monitorId] = [partClass(this.constructs.driftMonitor, DriftMonitor), `Drift${id}`];
    const built = new Monitor(this, monitorId, { ...defined(defaults), ...(defined(props) as typeof props), ...(retrain ? { retrain } : {}), platform: this });
    const monitor = checkBuilt<D>(built, DriftMonitor, this, monitorId, 'constructs.driftMonitor');
    this.driftMonitors[id] = monitor;
    return monitor;
  }

  /**
   * The artifact store as a DVC remote (`dvc add` / `git commit` / `dvc push`), its `dvc remote add`
   * commands a stack output. Its construct id is `Dvc<id>`.
   */
  public addDvcRemote(id: string, props: Omit<DvcRemoteProps, 'platform'> = {}): DvcRemote {
    return new DvcRemote(this, `Dvc${id}`, { ...props, platform: this });
  }

  public trackingClientEnv(): EnvVar[] {
    return this.trackingServer.clientEnv();
  }

  public trackingClientLabels(): Record<string, string> {
    return { [TRACKING_CLIENT_LABEL]: 'true' };
  }
}

/** Monitoring options with the platform's storage class on Prometheus and the Pushgateway, where they name none. */
function withStorageClass(options: MonitoringProps | undefined, storageClassName: string | undefined): MonitoringProps | undefined {
  if (!storageClassName) return options;
  const push = options?.pushgateway?.persistence;
  return {
    ...options,
    storage: { storageClassName, ...options?.storage },
    pushgateway: { ...options?.pushgateway, persistence: push === false ? false : { storageClassName, ...push } },
  };
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const mlopsPlatformSchema = schema;
/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const platformConstructId = constructId;
