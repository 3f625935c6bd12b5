import { Construct } from 'constructs';
import { z } from 'zod';
import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { parseProps } from '../core/props';
import { k8sName, memoryQuantity } from '../core/validators';
import { standardLabels } from '../core/labels';
import { applyRemovalPolicy, removalPolicySchema, type RemovalPolicy } from '../core/removal';
import type { MlopsNamespace } from '../cluster/mlops-namespace';
import type { ArtifactBinding, ArtifactBindingRequest, IArtifactStore } from './artifact-store';

/** Properties of a {@link VolumeArtifactStore}. */
export interface VolumeArtifactStoreProps {
  readonly namespace: MlopsNamespace;
  /**
   * Name of the PersistentVolumeClaim.
   * @default 'mlflow-artifacts'
   */
  readonly name?: string;
  /**
   * Size of the volume.
   * @default '50Gi'
   */
  readonly size?: string;
  /**
   * Storage class.
   * @default - the cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * Access mode. `ReadWriteMany` (NFS, EFS, CephFS, ...) lets several
   * tracking-server replicas and jobs on any node share the volume;
   * `ReadWriteOnce` pins every pod that mounts it to the tracking server's node.
   * @default 'ReadWriteOnce'
   */
  readonly accessMode?: 'ReadWriteOnce' | 'ReadWriteMany';
  /**
   * Where pods mount the volume.
   * @default '/mnt/artifacts'
   */
  readonly mountPath?: string;
  /**
   * Whether the volume survives a destroy.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
}

const schema = z.strictObject({
  namespace: z.custom<MlopsNamespace>((v) => typeof v === 'object' && v !== null && 'allowIngress' in v, {
    message: 'must be an MlopsNamespace',
  }),
  name: k8sName.default('mlflow-artifacts'),
  size: memoryQuantity.default('50Gi'),
  storageClassName: z.string().min(1).optional(),
  accessMode: z.enum(['ReadWriteOnce', 'ReadWriteMany']).default('ReadWriteOnce'),
  mountPath: z.string().regex(/^\/[^:]*$/, { message: 'must be an absolute path' }).default('/mnt/artifacts'),
  removalPolicy: removalPolicySchema.default('retain'),
});

const VOLUME_NAME = 'artifacts';
/** Label of pods that mount the artifact volume; its value is the claim name. */
export const ARTIFACT_VOLUME_LABEL = 'mlops.cdktf.io/artifact-volume';

/**
 * Artifacts on a PersistentVolumeClaim, served to clients by the tracking
 * server (`--serve-artifacts`): clients upload and download through MLflow's
 * HTTP proxy and never mount the volume. Jobs that read data files directly
 * (drift checks) mount it; with ReadWriteOnce they are scheduled on the
 * tracking server's node.
 */
export class VolumeArtifactStore extends Construct implements IArtifactStore {
  public readonly kind = 'volume';
  public readonly artifactsDestination: string;
  public readonly egress = [];
  /** The underlying claim. */
  public readonly claim: PersistentVolumeClaimV1;
  public readonly accessMode: 'ReadWriteOnce' | 'ReadWriteMany';
  public readonly mountPath: string;
  /** Name of the claim, as plain text (the label value pods that mount it carry). */
  public readonly claimName: string;
  /** The claim's name as a reference, made once: every workload that binds the store mounts it. */
  private readonly claimRef: string;

  constructor(scope: Construct, id: string, props: VolumeArtifactStoreProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.accessMode = p.accessMode;
    this.mountPath = p.mountPath;
    this.claimName = p.name;
    this.claim = new PersistentVolumeClaimV1(this, 'Resource', {
      metadata: {
        name: p.name,
        namespace: p.namespace.name,
        labels: standardLabels({ name: 'mlflow', instance: p.name, component: 'artifact-store' }),
      },
      spec: {
        accessModes: [p.accessMode],
        storageClassName: p.storageClassName,
        resources: { requests: { storage: p.size } },
      },
      // Storage classes with WaitForFirstConsumer bind only when a pod mounts the
      // claim; waiting here would stall the first apply before the pod exists.
      waitUntilBound: false,
    });
    applyRemovalPolicy(p.removalPolicy as RemovalPolicy, this.claim);
    this.claimRef = this.claim.metadata.name;
    this.artifactsDestination = p.mountPath;
  }

  public uriOf(path: string): string {
    return `${this.mountPath}/${path.replace(/^\/+/, '')}`;
  }

  public bind(request: ArtifactBindingRequest): ArtifactBinding {
    const readOnly = request.access === 'read';
    // A ReadWriteOnce volume is attached to one node: every pod that mounts it (the tracking server
    // included) carries the same label and requires a pod with that label on its node. The first one
    // schedules anywhere (it matches its own term); the rest, and a tracking pod recreated while others
    // hold the volume, follow the volume to its node.
    const colocate = this.accessMode === 'ReadWriteOnce';
    const users = { [ARTIFACT_VOLUME_LABEL]: this.claimName };
    return {
      env: [],
      volumes: [{ name: VOLUME_NAME, persistentVolumeClaim: { claimName: this.claimRef, readOnly } }],
      volumeMounts: [{ name: VOLUME_NAME, mountPath: this.mountPath, readOnly }],
      podLabels: colocate ? users : {},
      affinity: colocate
        ? {
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: [{ matchLabels: users }], topologyKey: 'kubernetes.io/hostname' }],
            },
          }
        : undefined,
    };
  }

  public trackingReplicasProblem(replicas: number): string | undefined {
    if (replicas > 1 && this.accessMode === 'ReadWriteOnce') {
      return (
        `${replicas} tracking-server replicas cannot share the ReadWriteOnce artifact volume "${this.claim.node.path}"; ` +
        'use replicas: 1, an artifact volume with accessMode "ReadWriteMany", or an object store such as S3ArtifactStore'
      );
    }
    return undefined;
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const volumeArtifactStoreSchema = schema;
