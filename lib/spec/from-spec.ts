import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Backend, TerraformStack } from '../core/cdktf';
import { ValidationError } from '../core/errors';
import type { ICloudIdentity } from '../core/identity';
import { EksClusterConnection, type EksClusterConnectionProps } from '../aws/eks-cluster-connection';
import { AwsPodIdentity } from '../aws/aws-pod-identity';
import { AwsIrsaIdentity } from '../aws/aws-irsa-identity';
import { EbsStorageClass } from '../aws/ebs-storage-class';
import { S3ArtifactStore, type S3ArtifactStoreProps } from '../aws/s3-artifact-store';
import { RdsRegistryDatabase } from '../aws/rds-registry-database';
import { churnExampleTraining } from '../training/training-program';
import type { TrainingJob } from '../training/training-job';
import { MlopsPlatform, type MlopsPlatformProps } from '../platform/mlops-platform';
import { platformSpecSchema } from './spec-schema';
import type { PlatformSpec } from './spec-types';
import { schemaProblems } from './spec-issues';
import { formatPath, parsePath } from './spec-source';

/*
 * A spec's declarative forms, mapped to the library's constructs. The constructs get the spec's values
 * as written (not the parsed output), so every default is the construct's own and the platform's
 * fleet-wide retraining policy applies as it does in TypeScript.
 */

type Json = Record<string, any>;

/**
 * Builds the platform a spec describes in `scope` (a `TerraformStack`): with an AWS backend, the AWS
 * provider, the EKS connection, identity, StorageClass, S3 store and RDS database beside it (ids
 * `Aws`, `Cluster`, `PodIdentity` or `IrsaIdentity`, `Storage`, `Artifacts`, `RegistryDb`, as in
 * examples/aws); then each model's training job, deployment and drift monitor, in that order.
 * Invalid specs throw a {@link ValidationError} whose prop paths are paths in the spec
 * (`models.Churn.serving.minReplicas`), for problems the schema finds and for the constructs' own
 * checks across props alike.
 */
export function platformFromSpec(scope: Construct, id: string, spec: PlatformSpec): MlopsPlatform {
  const where = `${scope.node.path}/${id} (platform spec)`;
  const problems = schemaProblems(platformSpecSchema, spec);
  if (problems.length) throw new ValidationError(where, problems.map((p) => ({ propPath: formatPath(p.path) || '(spec)', message: p.message })));
  try {
    return build(scope, id, spec as Json);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const at = specPathOf(err.constructPath.slice(scope.node.path.length + 1).split('/'), id);
    throw new ValidationError(where, err.problems.map((p) => ({ propPath: formatPath(at(parsePath(p.propPath.split(', ')[0]!))), message: p.message })));
  }
}

function build(scope: Construct, id: string, spec: Json): MlopsPlatform {
  const { kind, ...backend } = (spec.backend ?? { kind: 'in-cluster' }) as Json;
  const props: Json = {
    ...pick(spec, ['name', 'namespace', 'createNamespace', 'retraining', 'removalPolicy', 'storageClassName', 'workloadDefaults', 'tracking']),
    ...(spec.monitoring === false ? { monitoring: false } : spec.monitoring !== undefined ? { monitoringOptions: spec.monitoring } : {}),
    ...(kind === 'aws' ? awsBackend(scope, backend, spec) : pick(backend, ['kubeconfig', 'artifactVolume', 'postgres'])),
  };
  const platform = new MlopsPlatform(scope, id, props as MlopsPlatformProps);
  const trainingJobs: Record<string, TrainingJob> = {};
  for (const [modelId, model] of Object.entries((spec.models ?? {}) as Record<string, Json>)) {
    const training = model.training && platform.addTrainingJob(modelId, trainingProps(platform, model.training));
    if (training) trainingJobs[modelId] = training;
    if (model.serving) platform.addModel(modelId, model.serving);
    if (model.drift) {
      const { retrain, ...drift } = model.drift as Json;
      platform.addDriftMonitor(modelId, { ...(drift as any), ...(retrain ? { retrain: { ...(retrain === true ? {} : retrain), trainingJob: training } } : {}) });
    }
  }
  for (const [remoteId, remote] of Object.entries((spec.dvcRemotes ?? {}) as Record<string, Json>)) {
    const { trainingJobs: jobs, ...rest } = remote;
    platform.addDvcRemote(remoteId, { ...rest, ...(jobs ? { trainingJobs: (jobs as string[]).map((m) => trainingJobs[m]!) } : {}) });
  }
  return platform;
}

/** The example program's image, command, files and env under the spec's own props (env merged). */
function trainingProps(platform: MlopsPlatform, training: Json): any {
  const { example, ...own } = training;
  if (!example) return own;
  const shipped = churnExampleTraining(platform, pick(example, ['referencePrefix', 'rows']));
  return { ...shipped, ...own, env: { ...shipped.env, ...own.env } };
}

function awsBackend(scope: Construct, b: Json, spec: Json): Partial<MlopsPlatformProps> {
  const stack = TerraformStack.of(scope);
  if (b.state) {
    new S3Backend(stack, { bucket: b.state.bucket, key: b.state.key ?? `${stack.node.id}/terraform.tfstate`, region: b.state.region ?? b.region, encrypt: true });
    stack.addOverride('terraform.backend.s3.use_lockfile', true); // Terraform >= 1.10 locks beside the state
  }
  new AwsProvider(scope, 'Aws', { region: b.region, defaultTags: [{ tags: b.defaultTags ?? { 'app.kubernetes.io/part-of': 'cdktf-mlops' } }] });
  const cluster = new EksClusterConnection(scope, 'Cluster', b.cluster as EksClusterConnectionProps);
  const { kind: identityKind = 'pod-identity', ...identityProps } = (b.identity ?? {}) as Json;
  const cloudIdentity =
    identityKind === 'irsa'
      ? new AwsIrsaIdentity(scope, 'IrsaIdentity', { oidcIssuerUrl: cluster.oidcIssuerUrl, ...(identityProps as any) })
      : new AwsPodIdentity(scope, 'PodIdentity', { ...(identityProps as any), clusterName: cluster.clusterName });
  const storage = b.storageClass === false ? undefined : new EbsStorageClass(scope, 'Storage', { ...(b.storageClass ?? {}), clusterName: cluster.clusterName });
  const artifactStore = new S3ArtifactStore(scope, 'Artifacts', b.artifacts as S3ArtifactStoreProps);
  const database = new RdsRegistryDatabase(scope, 'RegistryDb', {
    vpcId: cluster.vpcId,
    allowedSecurityGroupIds: [cluster.clusterSecurityGroupId],
    ...(b.database as any),
    namespace: spec.namespace ?? 'mlops',
    clusterName: cluster.clusterName,
    cloudIdentity: cloudIdentity as AwsPodIdentity | AwsIrsaIdentity,
  });
  const storageClassName = spec.storageClassName ?? storage?.storageClassName;
  return { cluster, cloudIdentity: cloudIdentity as ICloudIdentity, artifactStore, database, ...(storageClassName ? { storageClassName } : {}) };
}

const pick = (o: Json, keys: string[]): Json => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

/** Where the props of the construct at `rel` (its path below the stack) sit in the spec. */
function specPathOf(rel: string[], platformId: string): (prop: PropertyKey[]) => PropertyKey[] {
  const AWS: Record<string, string> = { Cluster: 'cluster', PodIdentity: 'identity', IrsaIdentity: 'identity', Storage: 'storageClass', Artifacts: 'artifacts', RegistryDb: 'database' };
  if (rel[0] !== platformId) return (prop) => (AWS[rel[0]!] ? ['backend', AWS[rel[0]!]!, ...prop] : prop);
  const child = rel[1];
  const dvc = child?.match(/^Dvc([A-Za-z0-9]+)$/);
  if (dvc) return (prop) => ['dvcRemotes', dvc[1]!, ...(rel.length > 2 ? [] : prop)];
  const workload = child?.match(/^(Training|Model|Drift)([A-Za-z0-9]+)$/);
  if (workload) return (prop) => ['models', workload[2]!, { Training: 'training', Model: 'serving', Drift: 'drift' }[workload[1]!]!, ...(rel.length > 2 ? [] : prop)];
  const block: Record<string, PropertyKey[]> = { Tracking: ['tracking'], Monitoring: ['monitoring'], Database: ['backend', 'postgres'], Artifacts: ['backend', 'artifactVolume'], Cluster: ['backend', 'kubeconfig'], Namespace: ['namespace'] };
  if (child !== undefined) return (prop) => (block[child] ? [...block[child]!, ...(rel.length > 2 || child === 'Namespace' ? [] : prop)] : []);
  const renamed: Record<string, PropertyKey[]> = { monitoringOptions: ['monitoring'], kubeconfig: ['backend', 'kubeconfig'], artifactVolume: ['backend', 'artifactVolume'], postgres: ['backend', 'postgres'] };
  return (prop) => [...(renamed[String(prop[0])] ?? [prop[0]!]), ...prop.slice(1)].filter((s) => s !== undefined);
}
