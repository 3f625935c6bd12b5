import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { TerraformStack } from '../../lib/core/cdktf';
import { WorkloadIdentity } from '../../lib/cluster/workload-identity';
import { EksClusterConnection } from '../../lib/aws/eks-cluster-connection';
import { AwsPodIdentity } from '../../lib/aws/aws-pod-identity';
import { S3ArtifactStore } from '../../lib/aws/s3-artifact-store';
import { RdsRegistryDatabase, type RdsRegistryDatabaseProps } from '../../lib/aws/rds-registry-database';
import { synthStack } from '../../lib/testing';

export const NAMESPACE = 'mlops';

/** The AWS wiring as a platform would do it: cluster, identities, bucket, database, one workload of each kind. */
export function buildAwsStack(stack: TerraformStack, dbProps: Partial<RdsRegistryDatabaseProps> = {}) {
  new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
  const cluster = new EksClusterConnection(stack, 'Cluster', { clusterName: 'prod' });
  const cloud = new AwsPodIdentity(stack, 'PodIdentity', { clusterName: cluster.clusterName });
  const store = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-mlops-artifacts', accessLogs: { bucketName: 'acme-access-logs' } });
  const db = new RdsRegistryDatabase(stack, 'RegistryDb', {
    namespace: NAMESPACE,
    clusterName: cluster.clusterName,
    vpcId: cluster.vpcId,
    privateSubnetIds: ['subnet-a', 'subnet-b'],
    allowedSecurityGroupIds: [cluster.clusterSecurityGroupId],
    databaseCidrs: ['10.0.0.0/16'],
    ...dbProps,
  });
  const identities = {
    tracking: new WorkloadIdentity(stack, 'TrackingIdentity', { namespace: NAMESPACE, name: 'mlflow', kind: 'tracking', cloud }),
    training: new WorkloadIdentity(stack, 'TrainingIdentity', { namespace: NAMESPACE, name: 'train-churn', kind: 'training', cloud }),
    serving: new WorkloadIdentity(stack, 'ServingIdentity', { namespace: NAMESPACE, name: 'serve-churn', kind: 'serving', cloud }),
    drift: new WorkloadIdentity(stack, 'DriftIdentity', { namespace: NAMESPACE, name: 'drift-churn', kind: 'drift', cloud }),
  };
  const bindings = {
    tracking: store.bind({ identity: identities.tracking, access: 'readwrite', grantId: 'Tracking' }),
    training: store.bind({ identity: identities.training, access: 'readwrite', grantId: 'Training', prefix: 'training/churn/' }),
    serving: store.bind({ identity: identities.serving, access: 'read', grantId: 'Serving' }),
    drift: store.bind({ identity: identities.drift, access: 'readwrite', grantId: 'Drift', prefix: 'drift/churn/' }),
  };
  return { cluster, cloud, store, db, identities, bindings };
}

export function synthAws(dbProps: Partial<RdsRegistryDatabaseProps> = {}) {
  let built!: ReturnType<typeof buildAwsStack>;
  const out = synthStack((stack) => {
    built = buildAwsStack(stack, dbProps);
  });
  return { ...out, built };
}
