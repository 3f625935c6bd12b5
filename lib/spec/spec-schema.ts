import { z } from 'zod';
import { awsRegion, k8sName, labelsSchema, positiveInt } from '../core/validators';
import { kubeconfigConnectionSchema } from '../cluster/cluster-connection';
import { volumeArtifactStoreSchema } from '../stores/volume-artifact-store';
import { inClusterPostgresSchema } from '../stores/in-cluster-postgres';
import { trackingServerSchema } from '../tracking/tracking-server';
import { monitoringSchema } from '../monitoring/monitoring';
import { eksClusterConnectionSchema } from '../aws/eks-cluster-connection';
import { awsPodIdentitySchema } from '../aws/aws-pod-identity';
import { awsIrsaIdentitySchema } from '../aws/aws-irsa-identity';
import { ebsStorageClassSchema } from '../aws/ebs-storage-class';
import { s3ArtifactStoreSchema } from '../aws/s3-artifact-store';
import { rdsRegistryDatabaseSchema } from '../aws/rds-registry-database';
import { trainingJobSchema } from '../training/training-props';
import { modelDeploymentSchema } from '../serving/model-props';
import { driftMonitorSchema } from '../drift/drift-props';
import { mlopsPlatformSchema, platformConstructId } from '../platform/mlops-platform';
import { dvcRemoteSchema } from '../platform/dvc-remote';

/*
 * The platform spec's schema, composed from the constructs' own zod schemas: each block of a spec is
 * parsed by the schema of the construct it becomes, less the props that are construct instances in
 * TypeScript (namespace, platform, stores, identities), which the spec gives in a declarative form
 * (`backend`, a model's `drift.retrain`) and lib/spec/from-spec.ts wires. Checks across props that a
 * construct makes in its constructor run when the spec is built (`validate` builds it too).
 */

const inCluster = z.strictObject({
  kind: z.literal('in-cluster').describe('Everything in the cluster: Postgres and an artifact volume, providers from a kubeconfig.'),
  kubeconfig: kubeconfigConnectionSchema.optional(),
  artifactVolume: volumeArtifactStoreSchema.omit({ namespace: true, removalPolicy: true }).optional(),
  postgres: inClusterPostgresSchema.omit({ namespace: true, removalPolicy: true }).optional(),
});

const fromCluster = { clusterName: true } as const;
const aws = z.strictObject({
  kind: z.literal('aws').describe('An existing EKS cluster, artifacts in S3, the registry in RDS PostgreSQL, EKS Pod Identity or IRSA.'),
  region: awsRegion.describe('Region of the AWS provider.'),
  defaultTags: labelsSchema.optional().describe('Tags on every AWS resource. Default: app.kubernetes.io/part-of=cdktf-mlops.'),
  state: z
    .strictObject({ bucket: z.string().min(1), key: z.string().min(1).optional(), region: awsRegion.optional() })
    .optional()
    .describe('Remote state in S3 with native locking (Terraform >= 1.10). Default key: <stack>/terraform.tfstate.'),
  cluster: eksClusterConnectionSchema,
  identity: z
    .discriminatedUnion('kind', [
      awsPodIdentitySchema.omit(fromCluster).extend({ kind: z.literal('pod-identity') }),
      awsIrsaIdentitySchema.partial({ oidcIssuerUrl: true }).extend({ kind: z.literal('irsa') }),
    ])
    .optional()
    .describe('Cloud identity of the workloads. Default: { kind: pod-identity }. IRSA takes the OIDC issuer from the cluster unless given.'),
  storageClass: z
    .union([z.literal(false), ebsStorageClassSchema.omit(fromCluster)])
    .optional()
    .describe('An encrypted gp3 StorageClass (EBS CSI driver add-on) for every volume; false: the cluster has a default one. Default: created.'),
  artifacts: s3ArtifactStoreSchema,
  database: z
    .strictObject(rdsRegistryDatabaseSchema.shape)
    .omit({ namespace: true, clusterName: true, cloudIdentity: true, externalSecrets: true })
    .partial({ vpcId: true, allowedSecurityGroupIds: true })
    .describe("RDS PostgreSQL; vpcId and allowedSecurityGroupIds default to the cluster's VPC and security group."),
});

/** The training example the library ships, instead of an image of your own (`churnExampleTraining`). */
const trainingExample = z
  .strictObject({ program: z.literal('churn'), referencePrefix: z.string().min(1).optional(), rows: positiveInt.optional() })
  .describe("The library's churn program in the public MLflow image (churnExampleTraining); image, command and programFiles then come from it, env is merged.");

const training = trainingJobSchema
  .omit({ platform: true })
  .partial({ image: true, command: true })
  .extend({ example: trainingExample.optional() });

const retrain = z.union([
  z.literal(true),
  driftMonitorSchema.shape.retrain.unwrap().omit({ trainingJob: true }),
]).describe("Start this model's training CronJob when drift persists (true: with the fleet's retraining policy).");

const model = z
  .strictObject({
    training: training.optional().describe('A TrainingJob (the props of addTrainingJob).'),
    serving: modelDeploymentSchema.omit({ platform: true, requestRateMetrics: true }).optional().describe('A ModelDeployment with its canary (the props of addModel).'),
    drift: driftMonitorSchema.omit({ platform: true, retrain: true }).extend({ retrain: retrain.optional() }).optional().describe('A DriftMonitor (the props of addDriftMonitor).'),
  })
  .superRefine((m, ctx) => {
    if (!m.training && !m.serving && !m.drift) ctx.addIssue({ code: 'custom', message: 'must have at least one of training, serving, drift' });
    if (m.training && !m.training.example && (m.training.image === undefined || m.training.command === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['training'], message: 'needs image and command, or example: { program: churn }' });
    }
    if (m.drift?.retrain && !m.training) ctx.addIssue({ code: 'custom', path: ['drift', 'retrain'], message: "retrains this model's training job: add training to the model" });
  });

const dvcRemote = dvcRemoteSchema
  .omit({ platform: true, trainingJobs: true })
  .extend({
    trainingJobs: z
      .array(platformConstructId)
      .optional()
      .describe("Ids of models (in models) whose training job pulls and pushes the data from the bucket directly (protocol s3)."),
  })
  .describe('A DvcRemote (the props of addDvcRemote): the artifact store as a DVC remote, its `dvc remote add` commands a stack output.');

const platformLevel = mlopsPlatformSchema.pick({ name: true, namespace: true, createNamespace: true, retraining: true, removalPolicy: true, storageClassName: true, workloadDefaults: true });

/** @internal The keys an environment may override (everything but the environments themselves). */
export const OVERRIDABLE = ['stack', 'name', 'namespace', 'createNamespace', 'backend', 'tracking', 'monitoring', 'retraining', 'removalPolicy', 'storageClassName', 'workloadDefaults', 'models', 'dvcRemotes'] as const;

const envName = k8sName.describe('An environment name such as "staging"');

const platformSpecObject = platformLevel.extend({
  stack: k8sName.optional().describe('Name of the Terraform stack; with environments, <stack>-<environment>. Default: the platform name.'),
  backend: z.discriminatedUnion('kind', [inCluster, aws]).optional().describe('Where the platform runs and keeps its state. Default: { kind: in-cluster }.'),
  tracking: trackingServerSchema.omit({ namespace: true, artifactStore: true, database: true, cloudIdentity: true, monitoring: true }).optional(),
  monitoring: z.union([z.literal(false), monitoringSchema]).optional().describe('Monitoring (kube-prometheus-stack, alerts and receivers); false: off.'),
  models: z.record(platformConstructId, model).optional().describe('The fleet, by construct id: each model with its training, serving (and canary) and drift check.'),
  dvcRemotes: z.record(platformConstructId, dvcRemote).optional().describe('DVC remotes for data versioning in the artifact store, by construct id.'),
});

/** A DVC remote's training jobs are models of the spec that have training. */
function dvcTrainingJobsExist(spec: z.output<typeof platformSpecObject>, ctx: z.RefinementCtx): void {
  for (const [id, remote] of Object.entries(spec.dvcRemotes ?? {})) {
    (remote.trainingJobs ?? []).forEach((modelId, i) => {
      if (!spec.models?.[modelId]?.training) {
        const known = Object.keys(spec.models ?? {}).filter((m) => spec.models?.[m]?.training);
        ctx.addIssue({ code: 'custom', path: ['dvcRemotes', id, 'trainingJobs', i], message: `must be the id of a model with training (${known.join(', ') || 'none in models'})` });
      }
    });
  }
}

/** One platform as a spec describes it, after environments are applied. @internal */
export const platformSpecSchema = platformSpecObject.superRefine(dvcTrainingJobsExist);

/** A spec file: a platform, and optionally per-environment overrides of it (lib/spec/environments.ts). @internal */
export const specFileSchema = platformSpecObject
  .extend({
    environments: z
      .record(envName, z.strictObject(Object.fromEntries(OVERRIDABLE.map((k) => [k, z.unknown().optional()]))))
      .optional()
      .describe('Per-environment overrides, merged into the rest of the file: mappings merge key by key, lists and values replace, null removes. One stack per environment.'),
  })
  .superRefine(dvcTrainingJobsExist);

/** @internal */
export type ModelSpecInput = z.input<typeof model>;

/** The JSON Schema of a spec file, for editors (`# yaml-language-server: $schema=...`) and other validators. */
export function platformSpecJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(specFileSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return { ...schema, title: 'cdktf-mlops platform spec' };
}
