import { describe, expect, it } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AwsPodIdentity, EksClusterConnection, MlopsPlatform, S3ArtifactStore } from '../../lib';
import { resourcesOf, synthStack } from '../../lib/testing';

/** Several workloads of one kind share the S3 store: each gets its own grant (found by the fleet spec, examples/spec/fleet.yaml). */
describe('S3 grants of a fleet', () => {
  const { json } = synthStack((stack) => {
    new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
    const cluster = new EksClusterConnection(stack, 'Cluster', { clusterName: 'prod' });
    const platform = new MlopsPlatform(stack, 'Platform', {
      cluster,
      cloudIdentity: new AwsPodIdentity(stack, 'PodIdentity', { clusterName: cluster.clusterName }),
      artifactStore: new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme-mlops-artifacts' }),
    });
    for (const name of ['churn', 'fraud-v2']) {
      platform.addModel(name.replace('-', ''), { model: `models:/${name}@champion`, inferenceLogging: true });
      platform.addTrainingJob(name.replace('-', ''), { name, image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'], artifactAccess: 'read', artifactPrefix: `datasets/${name}/` });
    }
  });

  it('two models with inference logs and two training jobs with data access each get their own policy', () => {
    const policies = Object.values(resourcesOf(json, 'aws_iam_policy')).map((p: any) => p.description as string);
    for (const prefix of ['inference-logs/churn/', 'inference-logs/fraud-v2/', 'datasets/churn/', 'datasets/fraud-v2/']) {
      expect(policies.filter((d) => d.includes(`/mlflow/${prefix}*`)), prefix).toHaveLength(1);
    }
  });
});
