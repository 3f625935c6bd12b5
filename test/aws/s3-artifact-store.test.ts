import { describe, it, expect } from 'vitest';
import { resourcesOf } from '../../lib/testing';
import { synthAws } from './fixture';
import { docOf, only, policyDocs, statementsOf, conditionOf } from './helpers';

const { json, built } = synthAws();
const bucketRef = (attr: string) => `\${aws_s3_bucket.${Object.keys(resourcesOf(json, 'aws_s3_bucket'))[0]}.${attr}}`;
const artifactsKeyId = Object.keys(resourcesOf(json, 'aws_kms_key')).find((k) => k.startsWith('Artifacts_'))!;

describe('S3ArtifactStore security controls', () => {
  it('versioning enabled', () => {
    const v = only(json, 'aws_s3_bucket_versioning');
    expect(v.bucket).toBe(bucketRef('id'));
    expect(v.versioning_configuration.status).toBe('Enabled');
  });

  it('default encryption SSE-KMS with the customer-managed key and bucket keys', () => {
    const [rule] = only(json, 'aws_s3_bucket_server_side_encryption_configuration').rule;
    expect(rule.apply_server_side_encryption_by_default).toEqual({
      sse_algorithm: 'aws:kms',
      kms_master_key_id: `\${aws_kms_key.${artifactsKeyId}.arn}`,
    });
    expect(rule.bucket_key_enabled).toBe(true);
  });

  it('public access block: all four settings true', () => {
    const pab = only(json, 'aws_s3_bucket_public_access_block');
    expect(pab).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
  });

  it('object ownership BucketOwnerEnforced (ACLs disabled)', () => {
    expect(only(json, 'aws_s3_bucket_ownership_controls').rule.object_ownership).toBe('BucketOwnerEnforced');
  });

  it('bucket policy denies requests without TLS (aws:SecureTransport false)', () => {
    const doc = docOf(json, only(json, 'aws_s3_bucket_policy').policy);
    const deny = statementsOf(doc).find((s) => conditionOf(s, 'aws:SecureTransport'));
    expect(deny).toMatchObject({ effect: 'Deny', actions: ['s3:*'], principals: [{ type: '*', identifiers: ['*'] }] });
    expect(deny.resources).toEqual([bucketRef('arn'), `${bucketRef('arn')}/*`]);
    expect(conditionOf(deny, 'aws:SecureTransport')).toEqual({ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] });
  });

  it('lifecycle aborts incomplete multipart uploads', () => {
    const rules = only(json, 'aws_s3_bucket_lifecycle_configuration').rule;
    const abort = rules.find((r: any) => r.abort_incomplete_multipart_upload);
    expect(abort.status).toBe('Enabled');
    expect(abort.abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
  });

  it('lifecycle expires noncurrent versions after a configurable time', () => {
    const rules = only(json, 'aws_s3_bucket_lifecycle_configuration').rule;
    expect(rules.find((r: any) => r.noncurrent_version_expiration).noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
  });

  it('access logging to the given bucket', () => {
    expect(only(json, 'aws_s3_bucket_logging')).toMatchObject({ bucket: bucketRef('id'), target_bucket: 'acme-access-logs' });
  });

  it('never force_destroy; prevent_destroy by default', () => {
    const bucket = only(json, 'aws_s3_bucket');
    expect(bucket.force_destroy).toBe(false);
    expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(resourcesOf(json, 'aws_kms_key')[artifactsKeyId].lifecycle).toEqual({ prevent_destroy: true });
  });

  it('grants are separate aws_iam_policy resources whose documents are aws_iam_policy_document data sources', () => {
    const policies = Object.entries(resourcesOf(json, 'aws_iam_policy')).filter(([k]) => k.startsWith('Artifacts_'));
    expect(policies.map(([k]) => k.split('_')[1]).sort()).toEqual(['DriftPolicy', 'ServingPolicy', 'TrackingPolicy', 'TrainingPolicy']);
    for (const [, p] of policies) expect(() => docOf(json, p.policy)).not.toThrow();
  });

  it('read grant: GetObject(+Version) under the prefix, ListBucket with an s3:prefix condition, kms:Decrypt via S3 only', () => {
    const serving = docOf(json, Object.entries(resourcesOf(json, 'aws_iam_policy')).find(([k]) => k.startsWith('Artifacts_ServingPolicy'))![1].policy);
    const [objects, list, kms] = statementsOf(serving);
    expect(objects).toMatchObject({ effect: 'Allow', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${bucketRef('arn')}/mlflow/*`] });
    expect(list).toMatchObject({ actions: ['s3:ListBucket'], resources: [bucketRef('arn')] });
    expect(conditionOf(list, 's3:prefix')).toEqual({ test: 'StringLike', variable: 's3:prefix', values: ['mlflow/*'] });
    expect(kms.actions).toEqual(['kms:Decrypt']);
    expect(kms.resources).toEqual([`\${aws_kms_key.${artifactsKeyId}.arn}`]);
    expect(conditionOf(kms, 'kms:ViaService').values[0]).toMatch(/^s3\..+\.amazonaws\.com$/);
  });

  it('readwrite grant on a sub-prefix adds Put/Delete/multipart cleanup and GenerateDataKey, scoped to the sub-prefix', () => {
    const training = docOf(json, Object.entries(resourcesOf(json, 'aws_iam_policy')).find(([k]) => k.startsWith('Artifacts_TrainingPolicy'))![1].policy);
    const [objects, list, kms] = statementsOf(training);
    expect(objects.actions).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']);
    expect(objects.resources).toEqual([`${bucketRef('arn')}/mlflow/training/churn/*`]);
    expect(conditionOf(list, 's3:prefix').values).toEqual(['mlflow/training/churn/*']);
    expect(kms.actions).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('grants are attached to the role of the workload kind', () => {
    const attachments = resourcesOf(json, 'aws_iam_role_policy_attachment');
    const tracking = Object.entries(attachments).find(([k]) => k.startsWith('TrackingIdentity_'))![1];
    expect(tracking.role).toMatch(/^\$\{aws_iam_role\.PodIdentity_TrackingRole_[0-9A-F]+\.name\}$/);
    expect(tracking.policy_arn).toMatch(/^\$\{aws_iam_policy\.Artifacts_TrackingPolicy_[0-9A-F]+\.arn\}$/);
  });

  it('binding: region env, object-store client label, 443 egress; never MLFLOW_S3_ENDPOINT_URL for real S3', () => {
    const b = built.bindings.tracking;
    expect(b.env.map((e) => e.name).sort()).toEqual(['AWS_DEFAULT_REGION', 'AWS_REGION']);
    expect(JSON.stringify(json)).not.toContain('MLFLOW_S3_ENDPOINT_URL');
    expect(b.podLabels).toEqual({ 'mlops.cdktf.io/object-store-client': 'true' });
    expect(built.store.egress).toEqual([{ name: 'object-store', to: [{ cidr: '0.0.0.0/0' }], ports: [{ port: 443 }] }]);
    expect(built.store.trackingReplicasProblem(5)).toBeUndefined();
  });

  it('URIs: artifactsDestination and uriOf under the prefix', () => {
    expect(built.store.artifactsDestination).toMatch(/^s3:\/\/\$\{TfToken\[.+\]\}\/mlflow$/);
    expect(built.store.uriOf('drift/churn/x.json')).toMatch(/\/mlflow\/drift\/churn\/x\.json$/);
  });
});

describe('IAM documents across the stack', () => {
  const allowStatements = Object.entries(policyDocs(json)).flatMap(([id, doc]) =>
    statementsOf(doc).filter((s) => s.effect === 'Allow').map((s) => ({ id, s })),
  );

  it('no Allow of s3:* or any wildcard action (except kms:* for the account root in key policies)', () => {
    for (const { id, s } of allowStatements) {
      for (const action of s.actions ?? []) {
        if (action === 'kms:*') {
          expect(id, id).toMatch(/_EncryptionKey_Policy_/);
          expect(s.principals, id).toEqual([{ type: 'AWS', identifiers: [expect.stringMatching(/^arn:\$\{data\.aws_partition\..+\}:iam::\$\{data\.aws_caller_identity\..+\}:root$/)] }]);
        } else {
          expect(action, `${id}: ${action}`).not.toMatch(/\*/);
        }
      }
    }
  });

  it('no Resource "*" (except the key policy, where "*" means the key itself)', () => {
    for (const { id, s } of allowStatements) {
      if (/_EncryptionKey_Policy_/.test(id)) continue;
      if (s.principals?.some((p: any) => p.type === 'Service' || p.type === 'Federated')) continue; // trust policies have no resources
      expect(s.resources, id).toBeDefined();
      expect(s.resources, id).not.toContain('*');
    }
  });

  it('documents contain no tokens other than ARNs, ids of this stack and the region', () => {
    for (const [id, doc] of Object.entries(policyDocs(json))) {
      const refs = JSON.stringify(doc).match(/\$\{[^}]+\}/g) ?? [];
      for (const ref of refs) {
        expect(ref, id).toMatch(/\.(arn|region|partition|account_id|secret_arn)\}$|replace\(/);
      }
    }
  });
});
