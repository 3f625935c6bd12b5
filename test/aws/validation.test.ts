import { describe, it, expect } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { synthStack } from '../../lib/testing';
import { S3ArtifactStore } from '../../lib/aws/s3-artifact-store';
import { RdsRegistryDatabase, type RdsRegistryDatabaseProps } from '../../lib/aws/rds-registry-database';
import { EksClusterConnection } from '../../lib/aws/eks-cluster-connection';
import { ValidationError } from '../../lib/core/errors';
import { bucketNameProblem } from '../../lib/aws/validators';
import { synthErrorOf } from '../support/errors';

const errorOf = (build: (stack: any) => void): ValidationError => synthErrorOf(build);

const dbProps: RdsRegistryDatabaseProps = {
  namespace: 'mlops',
  clusterName: 'prod',
  vpcId: 'vpc-1',
  privateSubnetIds: ['subnet-a', 'subnet-b'],
  allowedSecurityGroupIds: ['sg-1'],
};

describe('S3ArtifactStore validation', () => {
  it.each([
    ['ab', '3 to 63'],
    ['a'.repeat(64), '3 to 63'],
    ['Acme-Artifacts', 'lowercase'],
    ['acme_artifacts', 'lowercase'],
    ['-acme', 'start and end'],
    ['acme-', 'start and end'],
    ['acme..artifacts', 'adjacent periods'],
    ['192.168.5.4', 'IP address'],
    ['xn--acme', '"xn--"'],
    ['acme-s3alias', '"-s3alias"'],
    ['acme--ol-s3', '"--ol-s3"'],
  ])('rejects bucket name %j naming the prop', (name, why) => {
    const err = errorOf((stack) => new S3ArtifactStore(stack, 'Artifacts', { bucketName: name }));
    expect(err.problems[0]!.propPath).toBe('bucketName');
    expect(err.message).toContain(JSON.stringify(name).slice(0, 40));
    expect(err.message).toContain(why);
  });

  it.each(['acme-mlops-artifacts', 'a.b.c', '123', 'my.bucket-1'])('accepts bucket name %j', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });

  it('rejects prefixes with wildcards, which would widen IAM resources', () => {
    const err = errorOf((stack) => new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme', prefix: 'ml*' }));
    expect(err.problems[0]!.propPath).toBe('prefix');
  });

  it('rejects a grant prefix with wildcards', () => {
    expect(() =>
      synthStack((stack) => {
        const store = new S3ArtifactStore(stack, 'Artifacts', { bucketName: 'acme' });
        store.grantRead({ kind: 'serving', namespace: 'mlops', serviceAccountName: 'x', attachPolicy: () => {} }, { id: 'X', prefix: 'models/*' });
      }),
    ).toThrow(/prefix: got "models\/\*"/);
  });
});

describe('RdsRegistryDatabase validation', () => {
  const cases: [string, Partial<RdsRegistryDatabaseProps>, string, RegExp][] = [
    ['instance class not db.*', { instanceClass: 't4g.medium' }, 'instanceClass', /starting with "db\."/],
    ['retention above 35 days', { backupRetentionDays: 36 }, 'backupRetentionDays', /at most 35/],
    ['retention below 7 days', { backupRetentionDays: 3 }, 'backupRetentionDays', /at least 7/],
    ['subnets missing', { privateSubnetIds: undefined }, 'privateSubnetIds', /missing/],
    ['one subnet only', { privateSubnetIds: ['subnet-a'] }, 'privateSubnetIds', /at least two private subnets/],
    ['no security group admitted', { allowedSecurityGroupIds: [] }, 'allowedSecurityGroupIds', /security group/],
    ['PostgreSQL older than 16', { engineVersion: '15.7' }, 'engineVersion', /16 or newer/],
    ['bad identifier', { identifier: 'Mlflow_DB' }, 'identifier', /RDS identifier/],
    ['unknown profile', { profile: 'prod' as any }, 'profile', /production/],
  ];
  it.each(cases)('rejects %s, naming the prop', (_name, override, prop, message) => {
    const err = errorOf((stack) => new RdsRegistryDatabase(stack, 'Db', { ...dbProps, ...override }));
    expect(err.problems.map((p) => p.propPath)).toContain(prop);
    expect(err.message).toMatch(message);
  });

  it('accepts a namespace given as a token', () => {
    expect(() =>
      synthStack((stack) => {
        new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
        const cluster = new EksClusterConnection(stack, 'Cluster', { clusterName: 'prod' });
        new RdsRegistryDatabase(stack, 'Db', { ...dbProps, namespace: cluster.cluster.id });
      }),
    ).not.toThrow();
  });
});

describe('EksClusterConnection validation', () => {
  it('rejects an invalid cluster name', () => {
    const err = errorOf((stack) => new EksClusterConnection(stack, 'Cluster', { clusterName: 'my cluster' }));
    expect(err.problems[0]!.propPath).toBe('clusterName');
  });
});
