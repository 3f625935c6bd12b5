import { describe, it, expect } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { resourcesOf, synthStack } from '../../lib/testing';
import { WorkloadIdentity } from '../../lib/cluster/workload-identity';
import { AwsPodIdentity } from '../../lib/aws/aws-pod-identity';
import { S3ArtifactStore } from '../../lib/aws/s3-artifact-store';
import { S3CompatibleArtifactStore } from '../../lib/aws/s3-compatible-artifact-store';
import { RdsRegistryDatabase } from '../../lib/aws/rds-registry-database';
import { ValidationError } from '../../lib/core/errors';
import { docOf, statementsOf } from './helpers';
import { addClusterProviders } from '../support/providers';

describe('S3ArtifactStore.fromBucketName', () => {
  let store!: ReturnType<typeof S3ArtifactStore.fromBucketName>;
  const { json } = synthStack((stack) => {
    new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
    addClusterProviders(stack);
    const cloud = new AwsPodIdentity(stack, 'PodIdentity', { clusterName: 'prod' });
    store = S3ArtifactStore.fromBucketName(stack, 'Existing', { bucketName: 'legacy-artifacts', region: 'eu-west-1', kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc', prefix: 'team-a' });
    const identity = new WorkloadIdentity(stack, 'Serve', { namespace: 'mlops', name: 'serve', kind: 'serving', cloud });
    store.bind({ identity, access: 'read', grantId: 'Serve' });
  });

  it('creates no bucket, only the grant, scoped to the existing bucket ARN and prefix', () => {
    expect(resourcesOf(json, 'aws_s3_bucket')).toEqual({});
    const [policy] = Object.values(resourcesOf(json, 'aws_iam_policy'));
    const [objects, , kms] = statementsOf(docOf(json, policy.policy));
    expect(objects.resources).toEqual(['arn:aws:s3:::legacy-artifacts/team-a/*']);
    expect(kms.resources).toEqual(['arn:aws:kms:eu-west-1:111122223333:key/abc']);
    expect(kms.condition).toEqual([{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.eu-west-1.amazonaws.com'] }]);
  });

  it('uses the existing bucket for URIs and region env', () => {
    expect(store.artifactsDestination).toBe('s3://legacy-artifacts/team-a');
    expect(store.uriOf('/x/y')).toBe('s3://legacy-artifacts/team-a/x/y');
  });
});

describe('S3CompatibleArtifactStore', () => {
  let store!: S3CompatibleArtifactStore;
  synthStack((stack) => {
    addClusterProviders(stack);
    store = new S3CompatibleArtifactStore(stack, 'Minio', {
      bucketName: 'mlflow',
      endpoint: 'http://minio.storage.svc:9000',
      credentialsSecret: { name: 'minio-credentials' },
      peers: [{ namespace: 'storage', podLabels: { app: 'minio' } }],
    });
  });

  it('sets the endpoint env and credentials from the existing Secret', () => {
    const env = store.bind({ identity: {} as any, access: 'read', grantId: 'X' }).env;
    expect(env).toContainEqual({ name: 'MLFLOW_S3_ENDPOINT_URL', value: 'http://minio.storage.svc:9000' });
    expect(env).toContainEqual({ name: 'AWS_ENDPOINT_URL_S3', value: 'http://minio.storage.svc:9000' });
    expect(env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'AWS_SECRET_ACCESS_KEY' } } });
    expect(store.egress).toEqual([{ name: 'object-store', to: [{ namespace: 'storage', podLabels: { app: 'minio' } }], ports: [{ port: 9000 }] }]);
  });

  it('refuses plain http to an endpoint outside the cluster', () => {
    expect(() =>
      synthStack((stack) => new S3CompatibleArtifactStore(stack, 'R2', { bucketName: 'mlflow', endpoint: 'http://example.com', credentialsSecret: { name: 'r2' } })),
    ).toThrow(ValidationError);
  });
});

describe('RdsRegistryDatabase.fromExisting', () => {
  const { json, text } = synthStack((stack) => {
    new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
    addClusterProviders(stack);
    RdsRegistryDatabase.fromExisting(stack, 'Db', {
      endpoint: 'mlflow.abc.eu-west-1.rds.amazonaws.com',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1',
      namespace: 'mlops',
      databaseCidrs: ['10.0.0.0/16'],
      clusterName: 'prod',
    });
  });
  it('creates no database, only ESO and the credential sync for the given secret', () => {
    expect(resourcesOf(json, 'aws_db_instance')).toEqual({});
    const sync = Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.chart.startsWith('assets/'));
    expect(JSON.parse(sync.values[0])).toMatchObject({ host: 'mlflow.abc.eu-west-1.rds.amazonaws.com', secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1' });
    expect(text).not.toMatch(/"password"\s*:/);
  });
});
