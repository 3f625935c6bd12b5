import { describe, expect, it } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { MlopsPlatform } from '../../lib/platform/mlops-platform';
import { S3ArtifactStore } from '../../lib/aws/s3-artifact-store';
import { S3CompatibleArtifactStore } from '../../lib/aws/s3-compatible-artifact-store';
import { AwsPodIdentity } from '../../lib/aws/aws-pod-identity';
import { resourcesOf, synthStack } from '../../lib/testing';

/*
 * Bucket names with dots are valid S3 names; every internal name the library derives from one
 * (the KMS alias, policy names and descriptions, URIs) must accept it too, for every store and
 * every workload that binds it.
 */
const BUCKET = 'my.company.models';
const workloads = (p: MlopsPlatform, scopesPrefixes = true) => {
  p.addModel('Churn', { model: 'models:/churn@champion', inferenceLogging: true });
  const t = p.addTrainingJob('Churn', { name: 'churn', image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'], artifactAccess: 'readwrite', ...(scopesPrefixes ? { artifactPrefix: 'datasets/churn/' } : {}), schedule: '@daily' });
  p.addDriftMonitor('Churn', { model: 'churn', reference: 'datasets/churn/ref.parquet', current: 'inference-logs/churn/', features: [{ name: 'a' }], retrain: { trainingJob: t } });
};

describe(`a bucket named ${BUCKET}`, () => {
  it('S3ArtifactStore (with access logs to a dotted bucket) and every workload on it', () => {
    const { json } = synthStack((stack) => {
      new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
      const store = new S3ArtifactStore(stack, 'Artifacts', { bucketName: BUCKET, accessLogs: { bucketName: 'my.company.logs' } });
      workloads(new MlopsPlatform(stack, 'P', { artifactStore: store, cloudIdentity: new AwsPodIdentity(stack, 'Id', { clusterName: 'prod' }) }));
    });
    expect(Object.values(resourcesOf(json, 'aws_s3_bucket')).map((b: any) => b.bucket)).toEqual([BUCKET]);
    expect(Object.values(resourcesOf(json, 'aws_kms_alias')).map((a: any) => a.name)).toEqual(['alias/mlops/s3/my-company-models']);
  });

  it('the imported bucket', () => {
    expect(() =>
      synthStack((stack) => {
        new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
        const store = S3ArtifactStore.fromBucketName(stack, 'Artifacts', { bucketName: BUCKET, region: 'eu-west-1' });
        workloads(new MlopsPlatform(stack, 'P', { artifactStore: store, cloudIdentity: new AwsPodIdentity(stack, 'Id', { clusterName: 'prod' }) }));
      }),
    ).not.toThrow();
  });

  it('the S3-compatible store (MinIO)', () => {
    const { json } = synthStack((stack) => {
      const store = new S3CompatibleArtifactStore(stack, 'Artifacts', { bucketName: BUCKET, endpoint: 'http://minio.storage.svc:9000', credentialsSecret: { name: 'minio' }, peers: [{ namespace: 'storage' }] });
      workloads(new MlopsPlatform(stack, 'P', { artifactStore: store }), false); // shared credentials: no prefix scoping
    });
    expect(JSON.stringify(json)).toContain(`s3://${BUCKET}/mlflow`);
  });
});
