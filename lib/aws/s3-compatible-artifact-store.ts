import { Construct } from 'constructs';
import { z } from 'zod';
import type { ArtifactBinding, ArtifactBindingRequest, IArtifactStore } from '../stores/artifact-store';
import { urlPort, type EgressTarget, type NetworkPeer } from '../core/network';
import { OBJECT_STORE_CLIENT_LABEL } from '../core/labels';
import { parseProps } from '../core/props';
import { envFromSecret } from '../core/workload';
import { k8sName, networkPeerSchema } from '../core/validators';
import { fail } from '../core/errors';
import { bucketName, keyPrefix } from './validators';

/** Properties of an {@link S3CompatibleArtifactStore}. */
export interface S3CompatibleArtifactStoreProps {
  /** An existing bucket on the endpoint. */
  readonly bucketName: string;
  /** The S3 API endpoint, e.g. `https://minio.storage.svc:9000` or `https://<account>.r2.cloudflarestorage.com`. */
  readonly endpoint: string;
  /**
   * An existing Secret, in every namespace of the bound workloads, with the access key pair.
   * The credentials decide what pods may do; `read` bindings cannot be narrowed further here.
   */
  readonly credentialsSecret: {
    readonly name: string;
    /** @default 'AWS_ACCESS_KEY_ID' */
    readonly accessKeyIdKey?: string;
    /** @default 'AWS_SECRET_ACCESS_KEY' */
    readonly secretAccessKeyKey?: string;
  };
  /**
   * Key prefix under which MLflow stores artifacts.
   * @default 'mlflow'
   */
  readonly prefix?: string;
  /**
   * Region name the endpoint expects in signatures.
   * @default 'us-east-1'
   */
  readonly region?: string;
  /**
   * Where the endpoint is, for network egress (e.g. `{ namespace: 'minio' }` for an in-cluster MinIO).
   * @default [{ cidr: '0.0.0.0/0' }]
   */
  readonly peers?: NetworkPeer[];
}

const schema = z.strictObject({
  bucketName,
  endpoint: z.string().regex(/^https?:\/\/[^/\s]+\/?$/, { message: 'must be an http(s) URL without a path, e.g. "https://minio.storage.svc:9000"' }),
  credentialsSecret: z.strictObject({
    name: k8sName,
    accessKeyIdKey: z.string().min(1).default('AWS_ACCESS_KEY_ID'),
    secretAccessKeyKey: z.string().min(1).default('AWS_SECRET_ACCESS_KEY'),
  }),
  prefix: keyPrefix.default('mlflow'),
  region: z.string().min(1).default('us-east-1'),
  peers: z.array(networkPeerSchema).min(1).optional(),
});

/**
 * An S3-compatible object store (MinIO, Ceph RGW, Cloudflare R2) reached at an
 * explicit endpoint with static credentials from an existing Secret. Unlike
 * {@link S3ArtifactStore} it sets `MLFLOW_S3_ENDPOINT_URL` and `AWS_ENDPOINT_URL_S3`.
 */
export class S3CompatibleArtifactStore extends Construct implements IArtifactStore {
  public readonly kind = 's3-compatible';
  public readonly bucketName: string;
  public readonly endpoint: string;
  public readonly prefix: string;
  public readonly egress: EgressTarget[];
  private readonly p: z.output<typeof schema>;

  constructor(scope: Construct, id: string, props: S3CompatibleArtifactStoreProps) {
    super(scope, id);
    this.p = parseProps(schema, props, this);
    if (this.p.endpoint.startsWith('http://') && !props.peers?.every((peer) => peer.namespace || peer.podLabels)) {
      fail(this.node.path, 'endpoint', `got ${JSON.stringify(this.p.endpoint)}; plain http is allowed only for an in-cluster endpoint (peers with namespace or podLabels)`);
    }
    this.bucketName = this.p.bucketName;
    this.endpoint = this.p.endpoint.replace(/\/$/, '');
    this.prefix = this.p.prefix.replace(/\/+$/, '');
    const url = new URL(this.endpoint);
    const port = urlPort(url);
    this.egress = [{ name: 'object-store', to: props.peers ?? [{ cidr: '0.0.0.0/0' }], ports: [{ port }] }];
  }

  public get artifactsDestination(): string {
    return this.uriOf('');
  }

  public uriOf(path: string): string {
    const rel = path.replace(/^\/+/, '');
    const key = [this.prefix, rel].filter(Boolean).join('/');
    return key ? `s3://${this.bucketName}/${key}` : `s3://${this.bucketName}`;
  }

  public bind(_request: ArtifactBindingRequest): ArtifactBinding {
    const s = this.p.credentialsSecret;
    return {
      env: [
        { name: 'MLFLOW_S3_ENDPOINT_URL', value: this.endpoint },
        { name: 'AWS_ENDPOINT_URL_S3', value: this.endpoint },
        { name: 'AWS_REGION', value: this.p.region },
        { name: 'AWS_DEFAULT_REGION', value: this.p.region },
        envFromSecret('AWS_ACCESS_KEY_ID', s.name, s.accessKeyIdKey),
        envFromSecret('AWS_SECRET_ACCESS_KEY', s.name, s.secretAccessKeyKey),
      ],
      volumes: [],
      volumeMounts: [],
      podLabels: { [OBJECT_STORE_CLIENT_LABEL]: 'true' },
    };
  }

  public trackingReplicasProblem(_replicas: number): string | undefined {
    return undefined;
  }
}
