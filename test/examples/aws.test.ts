import { describe, expect, it } from 'vitest';
import { snapshotView, synthExample } from '../support/app-synth';
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
      'readwrite on s3://<ref>/mlflow/inference-logs/churn/* for serving workload <ref>',
    ]);
    // training needs no store access: runs and models go through the tracking server
    const training = Object.values(resourcesOf(json, 'aws_eks_pod_identity_association')).find((a: any) => a.service_account === 'churn-training');
    expect(training.role_arn).toBe('${aws_iam_role.PodIdentity_TrainingRole_D6F183AE.arn}');
  });

  it('creates the database credential sync after the platform namespace (one apply on an empty cluster)', () => {
    const sync = Object.values(resourcesOf(json, 'helm_release')).find((r: any) => r.name === 'mlflow-registry-db-sync');
    expect(sync.depends_on).toContain('kubernetes_namespace_v1.Platform_Namespace_61F49379');
  });

  it('runs every pod with the secure defaults', () => {
    expect(secureDefaultViolations(json, { tokenAllowedFor: /^kubernetes_cron_job_v1\.Platform_(DriftChurn_|ModelChurn_CanaryJudge_)/ })).toEqual([]);
  });
});
