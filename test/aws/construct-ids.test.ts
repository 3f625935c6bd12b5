import { describe, it, expect } from 'vitest';
import { resourcesOf } from '../../lib/testing';
import { synthAws } from './fixture';

/**
 * Construct ids of stateful resources are a public contract: a changed logical id
 * makes Terraform destroy the bucket, key or database and create a new one.
 */
describe('stable construct ids', () => {
  const { json, stack } = synthAws();

  it('bucket, KMS keys and DB instance keep their logical ids', () => {
    expect(Object.keys(resourcesOf(json, 'aws_s3_bucket'))).toEqual(['Artifacts_82DD59A1']);
    expect(Object.keys(resourcesOf(json, 'aws_kms_key')).sort()).toEqual(['Artifacts_EncryptionKey_DAAA560B', 'RegistryDb_EncryptionKey_E8EFA089']);
    expect(Object.keys(resourcesOf(json, 'aws_db_instance'))).toEqual(['RegistryDb_EE917142']);
  });

  it('bucket, KMS keys and DB instance keep their construct paths', () => {
    const paths = new Set(stack.node.findAll().map((c) => c.node.path));
    for (const p of ['Artifacts/Resource', 'Artifacts/EncryptionKey/Resource', 'RegistryDb/Resource', 'RegistryDb/EncryptionKey/Resource']) {
      expect(paths.has(`test/${p}`), p).toBe(true);
    }
  });
});
