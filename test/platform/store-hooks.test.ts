import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { MlopsPlatform, S3CompatibleArtifactStore, type ArtifactBinding, type ArtifactBindingRequest, type IArtifactStore, type INamespace } from '../../lib';
import { resourceNamed, synthStack } from '../../lib/testing';

/** A company's store on MinIO that creates its credentials Secret in the namespace the platform binds it to. */
class CompanyMinioStore extends Construct implements IArtifactStore {
  public readonly kind: string;
  public readonly artifactsDestination: string;
  public readonly egress;
  public boundTo?: INamespace;
  private readonly inner: S3CompatibleArtifactStore;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.inner = new S3CompatibleArtifactStore(this, 'Minio', { bucketName: 'mlflow', endpoint: 'http://minio.storage.svc:9000', credentialsSecret: { name: 'minio-creds' }, peers: [{ namespace: 'storage' }] });
    this.kind = this.inner.kind;
    this.artifactsDestination = this.inner.artifactsDestination;
    this.egress = this.inner.egress;
  }
  public uriOf(path: string): string {
    return this.inner.uriOf(path);
  }
  public bind(request: ArtifactBindingRequest): ArtifactBinding {
    if (!this.boundTo) throw new Error('bound before useNamespace');
    return this.inner.bind(request);
  }
  public trackingReplicasProblem(replicas: number): string | undefined {
    return this.inner.trackingReplicasProblem(replicas);
  }
  public useNamespace(namespace: INamespace): void {
    this.boundTo = namespace;
    new SecretV1(this, 'Credentials', { metadata: { name: 'minio-creds', namespace: namespace.name }, data: {} });
  }
}

describe('IArtifactStore.useNamespace', () => {
  it('is called with the platform namespace before any workload binds the store', () => {
    let store: CompanyMinioStore | undefined;
    const { json } = synthStack((stack) => {
      store = new CompanyMinioStore(stack, 'Store');
      new MlopsPlatform(stack, 'Platform', { artifactStore: store, monitoring: false }).addModel('Churn', { model: 'models:/churn@champion' });
    });
    expect(store!.boundTo?.literalName).toBe('mlops');
    expect(resourceNamed(json, 'kubernetes_secret_v1', 'minio-creds').metadata.namespace).toMatch(/^\$\{kubernetes_namespace_v1\./);
  });
});
