import { describe, it, expect } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { resourcesOf, synthStack } from '../../lib/testing';
import { WorkloadIdentity } from '../../lib/cluster/workload-identity';
import { AwsIrsaIdentity } from '../../lib/aws/aws-irsa-identity';
import { AwsPodIdentity } from '../../lib/aws/aws-pod-identity';
import { ExternalSecretsOperator } from '../../lib/aws/external-secrets-operator';
import { synthAws } from './fixture';
import { EksClusterConnection } from '../../lib/aws/eks-cluster-connection';
import { addClusterProviders } from '../support/providers';
import { conditionOf, docOf, statementsOf } from './helpers';

describe('AwsPodIdentity', () => {
  const { json, built } = synthAws();
  const roles = Object.entries(resourcesOf(json, 'aws_iam_role')).filter(([k]) => k.startsWith('PodIdentity_'));

  it('one role per workload kind', () => {
    expect(roles.map(([k]) => k.split('_')[1]).sort()).toEqual(['DriftRole', 'ServingRole', 'TrackingRole', 'TrainingRole']);
  });

  it('role trust: pods.eks.amazonaws.com with sts:AssumeRole and sts:TagSession only', () => {
    for (const [id, role] of roles) {
      const [trust] = statementsOf(docOf(json, role.assume_role_policy));
      expect(trust, id).toMatchObject({ effect: 'Allow', actions: ['sts:AssumeRole', 'sts:TagSession'] });
      expect(trust.principals, id).toEqual([{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }]);
    }
  });

  it('roles carry only the policies attached by the stores', () => {
    for (const [id, role] of roles) {
      expect(role.managed_policy_arns, id).toBeUndefined();
      expect(role.inline_policy, id).toBeUndefined();
    }
  });

  it('one pod identity association per service account, to the role of its kind', () => {
    const assoc = Object.entries(resourcesOf(json, 'aws_eks_pod_identity_association')).filter(([k]) => !k.startsWith('RegistryDb_'));
    expect(assoc).toHaveLength(4);
    const training = assoc.find(([k]) => k.startsWith('TrainingIdentity_'))![1];
    expect(training).toMatchObject({ cluster_name: 'prod', namespace: 'mlops', service_account: 'train-churn' });
    expect(training.role_arn).toMatch(/^\$\{aws_iam_role\.PodIdentity_TrainingRole_[0-9A-F]+\.arn\}$/);
  });

  it('no IRSA annotation on service accounts', () => {
    for (const sa of Object.values(resourcesOf(json, 'kubernetes_service_account_v1'))) expect(sa.metadata.annotations).toBeUndefined();
  });

  it('credential egress: the pod identity agent on port 80 (IPv4 and IPv6)', () => {
    expect(built.cloud.credentialEgress).toEqual([
      { name: 'pod-identity-agent', to: [{ cidr: '169.254.170.23/32' }, { cidr: 'fd00:ec2::23/128' }], ports: [{ port: 80 }] },
    ]);
  });
});

describe('AwsIrsaIdentity', () => {
  let cloud!: AwsIrsaIdentity;
  const { json } = synthStack((stack) => {
    new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
    addClusterProviders(stack);
    cloud = new AwsIrsaIdentity(stack, 'Irsa', { oidcIssuerUrl: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC' });
    new WorkloadIdentity(stack, 'Serve1', { namespace: 'mlops', name: 'serve-a', kind: 'serving', cloud });
    new WorkloadIdentity(stack, 'Train', { namespace: 'mlops', name: 'train-a', kind: 'training', cloud });
    // Registered after the serving role was created: must still be in its trust policy.
    new WorkloadIdentity(stack, 'Serve2', { namespace: 'models', name: 'serve-b', kind: 'serving', cloud });
  });
  const roleDoc = (kind: string) =>
    docOf(json, Object.entries(resourcesOf(json, 'aws_iam_role')).find(([k]) => k.startsWith(`Irsa_${kind}Role_`))![1].assume_role_policy);

  it('trust pins StringEquals on the exact service-account subjects, including ones registered later', () => {
    const [s] = statementsOf(roleDoc('Serving'));
    const sub = (s.condition as any[]).find((c) => String(c.variable).endsWith(':sub'));
    expect(sub.test).toBe('StringEquals');
    expect(sub.values).toEqual(['system:serviceaccount:mlops:serve-a', 'system:serviceaccount:models:serve-b']);
    expect(sub.variable).toBe('${replace("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "https://", "")}:sub');
    const [t] = statementsOf(roleDoc('Training'));
    expect((t.condition as any[]).find((c) => String(c.variable).endsWith(':sub')).values).toEqual(['system:serviceaccount:mlops:train-a']);
  });

  it('trust pins aud = sts.amazonaws.com and uses AssumeRoleWithWebIdentity from the OIDC provider', () => {
    const [s] = statementsOf(roleDoc('Serving'));
    const aud = (s.condition as any[]).find((c) => String(c.variable).endsWith(':aud'));
    expect(aud).toMatchObject({ test: 'StringEquals', values: ['sts.amazonaws.com'] });
    expect(s.actions).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(s.principals[0].type).toBe('Federated');
    expect(s.principals[0].identifiers[0]).toMatch(/:oidc-provider\//);
    expect(conditionOf(s, 'nothing')).toBeUndefined();
  });

  it('service accounts are annotated with the role ARN', () => {
    const sa = Object.entries(resourcesOf(json, 'kubernetes_service_account_v1')).find(([k]) => k.startsWith('Serve1_'))![1];
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(/^\$\{aws_iam_role\.Irsa_ServingRole_[0-9A-F]+\.arn\}$/);
  });

  it('credential egress: STS over 443', () => {
    expect(cloud.credentialEgress).toEqual([{ name: 'sts', to: [{ cidr: '0.0.0.0/0' }], ports: [{ port: 443 }] }]);
  });
});

describe('EksClusterConnection', () => {
  const { json, built } = synthAws();
  it('authenticates both providers with `aws eks get-token` by default, which never expires during an apply', () => {
    const expected = {
      host: '${data.aws_eks_cluster.Cluster_3DA9CCBA.endpoint}',
      cluster_ca_certificate: '${base64decode(data.aws_eks_cluster.Cluster_3DA9CCBA.certificate_authority[0].data)}',
    };
    const exec = {
      api_version: 'client.authentication.k8s.io/v1beta1',
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', 'prod', '--region', '${data.aws_region.Cluster_Region_7C269833.region}', '--output', 'json'],
    };
    expect(json.provider!['kubernetes']![0]).toEqual({ ...expected, exec: [exec] });
    expect(json.provider!['helm']![0].kubernetes).toEqual({ ...expected, exec });
    expect(json.data!['aws_eks_cluster']!['Cluster_3DA9CCBA']).toEqual({ name: 'prod' });
    // no plan-time token: it lives ~15 minutes, less than an apply that waits on RDS and rollouts
    expect(json.data!['aws_eks_cluster_auth']).toBeUndefined();
  });
  it('passes a CLI profile and a role to assume to get-token', () => {
    const { json: j } = synthStack((stack) => {
      new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
      new EksClusterConnection(stack, 'Cluster', { clusterName: 'prod', awsProfile: 'ml-admin', assumeRoleArn: 'arn:aws:iam::123456789012:role/deployer' });
    });
    expect(j.provider!['kubernetes']![0].exec[0].args.slice(-4)).toEqual(['--profile', 'ml-admin', '--role-arn', 'arn:aws:iam::123456789012:role/deployer']);
  });
  it("uses aws_eks_cluster_auth's plan-time token when asked", () => {
    const { json: j } = synthStack((stack) => {
      new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
      new EksClusterConnection(stack, 'Cluster', { clusterName: 'prod', authentication: 'token' });
    });
    expect(j.provider!['kubernetes']![0].token).toBe('${data.aws_eks_cluster_auth.Cluster_Auth_926D169A.token}');
    expect(j.provider!['kubernetes']![0].exec).toBeUndefined();
  });
  it('exposes cluster name, security group, VPC and OIDC issuer', () => {
    expect(built.cluster.clusterName).toBe('prod');
    for (const attr of [built.cluster.clusterSecurityGroupId, built.cluster.vpcId, built.cluster.oidcIssuerUrl]) expect(attr).toMatch(/TfToken/);
  });
});

describe('EKS Pod Identity Agent and association ordering', () => {
  const { json } = synthAws();
  it('installs the agent add-on once, and every association waits for it', () => {
    const addons = Object.entries(resourcesOf(json, 'aws_eks_addon'));
    expect(addons.map(([, a]: any) => a.addon_name)).toEqual(['eks-pod-identity-agent']);
    const [addonId] = addons[0]!;
    const associations = Object.values(resourcesOf(json, 'aws_eks_pod_identity_association'));
    expect(associations.length).toBeGreaterThan(1);
    for (const a of associations as any[]) expect(a.depends_on).toContain(`aws_eks_addon.${addonId}`);
  });
  it('creates each service account after its association: credentials are injected only at pod creation', () => {
    const sas = Object.values(resourcesOf(json, 'kubernetes_service_account_v1')) as any[];
    const withAssociation = sas.filter((sa) => (sa.depends_on ?? []).some((d: string) => d.startsWith('aws_eks_pod_identity_association.')));
    expect(withAssociation.map((sa) => sa.metadata.name).sort()).toEqual(sas.map((sa) => sa.metadata.name).sort());
  });
  it("relies on the cluster's agent with podIdentityAgent: 'existing'", () => {
    const { json: j } = synthStack((stack) => {
      new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
      addClusterProviders(stack);
      const cloud = new AwsPodIdentity(stack, 'PodIdentity', { clusterName: 'prod', podIdentityAgent: 'existing' });
      new WorkloadIdentity(stack, 'Serve', { namespace: 'mlops', name: 'serve', kind: 'serving', cloud });
    });
    expect(resourcesOf(j, 'aws_eks_addon')).toEqual({});
  });
});

describe('External Secrets Operator follows the chosen identity', () => {
  it('with IRSA: a web-identity trust for its service account and the role on the chart service account, no association', () => {
    const { json: j } = synthStack((stack) => {
      new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
      addClusterProviders(stack);
      const irsa = new AwsIrsaIdentity(stack, 'Irsa', { oidcIssuerUrl: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC' });
      ExternalSecretsOperator.following(stack, 'Eso', 'prod', irsa);
    });
    expect(resourcesOf(j, 'aws_eks_pod_identity_association')).toEqual({});
    expect(resourcesOf(j, 'aws_eks_addon')).toEqual({});
    const docs = Object.values((j.data as any).aws_iam_policy_document) as any[];
    const esoTrust = docs.find((d) => JSON.stringify(d).includes('system:serviceaccount:external-secrets:external-secrets'));
    expect(esoTrust.statement[0].actions).toEqual(['sts:AssumeRoleWithWebIdentity']);
    const release = Object.values(resourcesOf(j, 'helm_release'))[0] as any;
    expect(JSON.parse(release.values[0]).serviceAccount.annotations['eks.amazonaws.com/role-arn']).toMatch(/^\$\{aws_iam_role\./);
  });
});
