import { describe, expect, it } from 'vitest';
import { snapshotView, synthExample } from '../support/app-synth';
import { itRoutesAlertsToSlackAndPagerDuty } from './receivers';
import { allContainers, resourceNamed, resourcesOf, type SynthesizedJson, secureDefaultViolations } from '../../lib/testing';

// Synthesized as users do (`cdktf synth --app "npx tsx examples/aws/main.ts"`), cdktf's validations on.
function synth(stateBucket: string): { text: string; json: SynthesizedJson } {
  const { json } = synthExample('aws', { MLOPS_STATE_BUCKET: stateBucket })['mlops-aws'];
  return { text: JSON.stringify(json), json };
}

describe('examples/aws', () => {
  const { text, json } = synth('acme-tf-state');

  it('synthesizes without credentials (snapshot)', () => {
    expect(snapshotView(json)).toMatchSnapshot();
  });

  it('keeps state in S3 with encryption and native locking', () => {
    expect((json as any).terraform.backend.s3).toEqual({
      bucket: 'acme-tf-state',
      key: 'mlops-aws/terraform.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      use_lockfile: true,
    });
  });

  it('holds no secret value: no password attribute, no generated database password, no static keys', () => {
    expect(text).not.toMatch(/"(master_)?password"\s*:/);
    // the only generated password is Grafana's admin (value in state, not here); RDS manages the database's
    expect(Object.keys(resourcesOf(json, 'random_password'))).toEqual(['Platform_Monitoring_GrafanaAdminPassword_EFF0E5D0']);
    expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/);
    expect(resourcesOf(json, 'aws_db_instance').RegistryDb_EE917142.manage_master_user_password).toBe(true);
  });

  it('gives the tracking server the S3 destination without MLFLOW_S3_ENDPOINT_URL (pod identity credentials)', () => {
    const server = resourceNamed(json, 'kubernetes_deployment_v1', 'mlflow').spec.template.spec.container[0];
    expect(server.args.join(' ')).toContain('--artifacts-destination s3://${aws_s3_bucket.Artifacts_82DD59A1.bucket}/mlflow');
    for (const { where, container } of allContainers(json)) {
      expect((container.env ?? []).map((e: any) => e.name), where).not.toContain('MLFLOW_S3_ENDPOINT_URL');
    }
  });

  it('maps the tracking service account to its role with EKS Pod Identity and lets it reach the agent', () => {
    const assoc = Object.values(resourcesOf(json, 'aws_eks_pod_identity_association'));
    expect(assoc).toContainEqual(expect.objectContaining({ service_account: 'mlflow', role_arn: '${aws_iam_role.PodIdentity_TrackingRole_8F99F4EA.arn}' }));
    const agent = Object.values(resourcesOf(json, 'kubernetes_network_policy_v1')).find((p: any) => p.metadata.name === 'mlflow-pod-identity-agent-egress');
    expect(agent.spec.egress[0].to).toContainEqual({ ip_block: { cidr: '169.254.170.23/32' } });
  });

  it('gives each workload kind its own role, holding only the grants its workloads were given', () => {
    const roles = Object.keys(resourcesOf(json, 'aws_iam_role')).filter((id) => id.startsWith('PodIdentity_')).sort();
    expect(roles).toEqual(['PodIdentity_DriftRole_14301354', 'PodIdentity_ServingRole_BF7DE8CA', 'PodIdentity_TrackingRole_8F99F4EA', 'PodIdentity_TrainingRole_D6F183AE']);
    const grants = Object.values(resourcesOf(json, 'aws_iam_policy')).map((p: any) => p.description.replace(/\$\{[^}]+\}/g, '<ref>')).sort();
    expect(grants).toEqual([
      'External Secrets Operator: read one Secrets Manager secret',
      'read on s3://<ref>/mlflow/datasets/churn/* for drift workload <ref>',
      'read on s3://<ref>/mlflow/inference-logs/churn/* for drift workload <ref>',
      'readwrite on s3://<ref>/mlflow/* for tracking workload <ref>',
      'readwrite on s3://<ref>/mlflow/drift/churn/* for drift workload <ref>',
      'readwrite on s3://<ref>/mlflow/dvc/* for DVC remote mlops',
      'readwrite on s3://<ref>/mlflow/inference-logs/churn/* for serving workload <ref>',
    ]);
    // training's only store access is the DVC data: runs and models go through the tracking server
    const training = Object.values(resourcesOf(json, 'aws_eks_pod_identity_association')).find((a: any) => a.service_account === 'churn-training');
    expect(training.role_arn).toBe('${aws_iam_role.PodIdentity_TrainingRole_D6F183AE.arn}');
    const trainingPolicies = Object.values(resourcesOf(json, 'aws_iam_role_policy_attachment'))
      .filter((a: any) => a.role === '${aws_iam_role.PodIdentity_TrainingRole_D6F183AE.name}')
      .map((a: any) => a.policy_arn);
    expect(trainingPolicies).toEqual(['${aws_iam_policy.Platform_DvcData_PrefixPolicy_A6EA1BAD.arn}']);
  });

  it('serves the artifact bucket as a DVC remote under mlflow/dvc/, read/write on that prefix only for CI and training', () => {
    const out = (json as any).output.Platform_DvcData_Config_C763FC3A.value;
    expect(out.split('\n')).toEqual([
      'dvc remote add -d mlops s3://${aws_s3_bucket.Artifacts_82DD59A1.bucket}/mlflow/dvc',
      'dvc remote modify mlops region ${data.aws_region.MlopsAwsContext_Region_2A44AC5E.region}',
    ]);
    const doc = (json as any).data.aws_iam_policy_document.Platform_DvcData_PrefixPolicyDocument_55738727;
    expect(doc.statement.map((s: any) => [s.sid, s.resources, s.condition?.[0]?.values])).toEqual([
      ['Objects', ['${aws_s3_bucket.Artifacts_82DD59A1.arn}/mlflow/dvc/*'], undefined],
      ['ListPrefix', ['${aws_s3_bucket.Artifacts_82DD59A1.arn}'], ['mlflow/dvc/*']],
      ['KeyViaS3', ['${aws_kms_key.Artifacts_EncryptionKey_DAAA560B.arn}'], ['s3.${data.aws_region.MlopsAwsContext_Region_2A44AC5E.region}.amazonaws.com']],
    ]);
    expect(resourcesOf(json, 'aws_iam_role_policy_attachment').Platform_DvcData_Role0_2E0B074C).toMatchObject({
      role: 'acme-ml-ci', policy_arn: '${aws_iam_policy.Platform_DvcData_PrefixPolicy_A6EA1BAD.arn}',
    });
    // the training pods reach S3 for `dvc pull`
    const egress = resourceNamed(json, 'kubernetes_network_policy_v1', 'churn-dvc-object-store-egress');
    expect(egress.spec.egress[0]).toMatchObject({ to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443' }] });
  });

  itRoutesAlertsToSlackAndPagerDuty(() => json);

  it('creates the database credential sync after the platform namespace (one apply on an empty cluster)', () => {
    const sync = Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.name === 'mlflow-registry-db-sync');
    expect(sync.depends_on).toContain('kubernetes_namespace_v1.Platform_Namespace_61F49379');
  });

  it('runs every pod with the secure defaults', () => {
    expect(secureDefaultViolations(json, { tokenAllowedFor: /^kubernetes_cron_job_v1\.Platform_(DriftChurn_|ModelChurn_CanaryJudge_)/ })).toEqual([]);
  });
});
