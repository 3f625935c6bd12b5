import { Construct } from 'constructs';
import { z } from 'zod';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import type { Password } from '@cdktf/provider-random/lib/password';
import { generatedPassword } from '../core/providers';
import { parseProps } from '../core/props';
import { applyWorkloadOptions, workloadOptionsShape, type WorkloadOptions } from '../core/workload-options';
import { applyObjectMetadata } from '../core/object-metadata';
import { cpuQuantity, imageRef, k8sName, memoryQuantity } from '../core/validators';
import { selectorLabels, standardLabels, type ComponentIdentity } from '../core/labels';
import { buildPodSpec, envFromSecret, securityOptionsSchema, type SecurityOptions } from '../core/workload';
import { applyRemovalPolicy, removalPolicySchema, type RemovalPolicy } from '../core/removal';
import { DEFAULT_IMAGES } from '../core/images';
import type { EgressTarget } from '../core/network';
import type { ITerraformDependable } from '../core/cdktf';
import type { MlopsNamespace } from '../cluster/mlops-namespace';
import type { IRegistryDatabase, SecretKeySelector } from './registry-database';
import type { WorkloadResource } from '../core/workload-resource';

/** Properties of an {@link InClusterPostgres}. */
export interface InClusterPostgresProps extends WorkloadOptions {
  /** Namespace to run in; its network policies admit only the tracking server. */
  readonly namespace: MlopsNamespace;
  /**
   * Name of the StatefulSet, Service and Secret.
   * @default 'mlflow-postgres'
   */
  readonly name?: string;
  /**
   * Postgres image, pinned.
   * @default 'docker.io/library/postgres:17.6-bookworm'
   */
  readonly image?: string;
  /**
   * Size of the data volume.
   * @default '20Gi'
   */
  readonly storageSize?: string;
  /**
   * Storage class of the data volume.
   * @default - the cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * CPU request.
   * @default '250m'
   */
  readonly cpu?: string;
  /**
   * Memory request and limit.
   * @default '512Mi'
   */
  readonly memory?: string;
  /**
   * Whether the data volume, the password and the StatefulSet survive a destroy.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Opt-outs from the secure pod defaults.
   * @default - none: uid 999 (the image's postgres user), read-only root filesystem
   */
  readonly security?: SecurityOptions;
}

const schema = z.strictObject({
  namespace: z.custom<MlopsNamespace>((v) => typeof v === 'object' && v !== null && 'allowIngress' in v, {
    message: 'must be an MlopsNamespace',
  }),
  name: k8sName.default('mlflow-postgres'),
  image: imageRef.default(DEFAULT_IMAGES.postgres),
  storageSize: memoryQuantity.default('20Gi'),
  storageClassName: z.string().min(1).optional(),
  cpu: cpuQuantity.default('250m'),
  memory: memoryQuantity.default('512Mi'),
  removalPolicy: removalPolicySchema.default('retain'),
  security: securityOptionsSchema.optional(),
  ...workloadOptionsShape,
});

const PORT = 5432;
const DATABASE = 'mlflow';
const USER = 'mlflow';
const POSTGRES_UID = 999;

/**
 * The embedded registry database: a single Postgres StatefulSet with a
 * persistent volume, a generated password kept in a Kubernetes Secret (its
 * value is in Terraform state, never in the synthesized JSON), and a Service
 * reachable only from the tracking server.
 */
export class InClusterPostgres extends Construct implements IRegistryDatabase {
  public readonly kind = 'in-cluster-postgres';
  public readonly uriSecret: SecretKeySelector;
  public readonly authDatabaseName = 'mlflow_auth';
  public readonly egress: EgressTarget[];
  public readonly readyWhen: ITerraformDependable[];
  /** In-cluster host name of the database. */
  public readonly host: string;
  public readonly port = PORT;
  /** The StatefulSet (its volume claim template is named `data`). */
  public readonly statefulSet: WorkloadResource;
  public readonly service: ServiceV1;
  /** Secret with `username`, `password` and `uri`. */
  public readonly secret: SecretV1;
  /** The generated password. */
  public readonly password: Password;
  /** Name of the StatefulSet, Service and Secret prefix. */
  public readonly name: string;
  private readonly namespace: MlopsNamespace;
  private readonly podLabels: Record<string, string>;
  private clients = 0;

  constructor(scope: Construct, id: string, props: InClusterPostgresProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.namespace = p.namespace;
    this.name = p.name;
    const ns = p.namespace.name;
    applyObjectMetadata(this, p);
    const ident: ComponentIdentity = { name: 'postgres', instance: p.name, component: 'database' };
    const labels = standardLabels(ident);
    this.podLabels = selectorLabels(ident);

    this.password = generatedPassword(this, 'Password', 32);
    this.service = new ServiceV1(this, 'Service', {
      metadata: { name: p.name, namespace: ns, labels },
      spec: {
        clusterIp: 'None', // headless: the StatefulSet's governing service; DNS resolves to the pod
        selector: this.podLabels,
        port: [{ name: 'postgres', port: PORT, targetPort: 'postgres' }],
      },
    });
    this.host = `${p.name}.${p.namespace.literalName}.svc.cluster.local`;
    this.secret = new SecretV1(this, 'Secret', {
      metadata: { name: `${p.name}-credentials`, namespace: ns, labels },
      data: {
        username: USER,
        password: this.password.result,
        database: DATABASE,
        uri: `postgresql+psycopg2://${USER}:${this.password.result}@${this.host}:${PORT}/${DATABASE}`,
      },
      type: 'Opaque',
    });
    this.uriSecret = { name: this.secret.metadata.name, key: 'uri' };

    const dataMount = '/var/lib/postgresql/data';
    this.statefulSet = new StatefulSetV1(this, 'Resource', {
      metadata: { name: p.name, namespace: ns, labels },
      spec: {
        serviceName: this.service.metadata.name,
        replicas: '1',
        selector: { matchLabels: this.podLabels },
        persistentVolumeClaimRetentionPolicy: [{ whenDeleted: 'Retain', whenScaled: 'Retain' }],
        updateStrategy: [{ type: 'RollingUpdate' }],
        template: {
          metadata: { labels },
          spec: buildPodSpec(applyWorkloadOptions({
            security: { runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID, ...p.security },
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'postgres',
                image: p.image,
                ports: [{ name: 'postgres', containerPort: PORT }],
                env: [
                  { name: 'POSTGRES_USER', value: USER },
                  { name: 'POSTGRES_DB', value: DATABASE },
                  envFromSecret('POSTGRES_PASSWORD', this.secret.metadata.name, 'password'),
                  // A subdirectory, so the volume's lost+found does not block initdb.
                  { name: 'PGDATA', value: `${dataMount}/pgdata` },
                ],
                resources: { cpu: p.cpu, memory: p.memory },
                volumeMounts: [{ name: 'data', mountPath: dataMount }],
                writablePaths: ['/var/run/postgresql', '/tmp'],
                startupProbe: { exec: ['pg_isready', '-h', '127.0.0.1', '-U', USER, '-d', DATABASE], timing: { periodSeconds: 5, failureThreshold: 60 } },
                readinessProbe: { exec: ['pg_isready', '-h', '127.0.0.1', '-U', USER, '-d', DATABASE], timing: { periodSeconds: 10 } },
                livenessProbe: { tcpPort: 'postgres', timing: { periodSeconds: 20, failureThreshold: 6 } },
              },
            ],
          }, p, this.node.path)),
        },
        volumeClaimTemplate: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: p.storageClassName,
              resources: { requests: { storage: p.storageSize } },
            },
          },
        ],
      },
      waitForRollout: true,
    });
    applyRemovalPolicy(p.removalPolicy as RemovalPolicy, this.statefulSet, this.password);
    this.readyWhen = [this.statefulSet];
    this.egress = [{ name: 'database', to: [{ podLabels: this.podLabels }], ports: [{ port: PORT }] }];
  }

  public allowConnectionsFrom(podLabels: Record<string, string>): void {
    const n = this.clients++;
    this.namespace.allowIngress(this, `AllowIngress${n || ''}`, {
      name: `${this.name}-ingress${n ? `-${n}` : ''}`,
      podLabels: this.podLabels,
      from: [{ podLabels }],
      ports: [{ port: PORT }],
    });
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const inClusterPostgresSchema = schema;
