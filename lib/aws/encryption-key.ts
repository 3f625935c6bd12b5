import { Construct } from 'constructs';
import { z } from 'zod';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { parseProps } from '../core/props';
import { kmsAliasName } from '../core/validators';
import { applyRemovalPolicy, removalPolicySchema, type RemovalPolicy } from '../core/removal';
import { awsContext, policyDocument } from './aws-context';

/** Properties of an {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** What the key protects, for the key's description. */
  readonly description: string;
  /**
   * Alias without the `alias/` prefix.
   * @default - no alias
   */
  readonly alias?: string;
  /**
   * Days KMS waits before deleting the key after it is scheduled for deletion (7-30).
   * @default 30
   */
  readonly deletionWindowDays?: number;
  /**
   * Whether the key survives a destroy. Data encrypted with a deleted key is lost.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicy;
}

const schema = z.strictObject({
  description: z.string().min(1),
  alias: kmsAliasName.optional(),
  deletionWindowDays: z.number().int().min(7).max(30).default(30),
  removalPolicy: removalPolicySchema.default('retain'),
});

/**
 * A customer-managed KMS key with yearly rotation. Its key policy grants
 * `kms:*` only to the account root, which delegates use to IAM policies; the
 * library's IAM policies then grant each workload only the KMS actions it needs.
 */
export class EncryptionKey extends Construct {
  public readonly key: KmsKey;
  public readonly keyArn: string;
  public readonly alias?: KmsAlias;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    const ctx = awsContext(this);
    const policy = policyDocument(this, 'Policy', [
      {
        sid: 'EnableIamPoliciesOfTheAccount',
        effect: 'Allow',
        principals: [{ type: 'AWS', identifiers: [ctx.rootArn] }],
        actions: ['kms:*'],
        // In a key policy "*" means "this key".
        resources: ['*'],
      },
    ]);
    this.key = new KmsKey(this, 'Resource', {
      description: p.description,
      enableKeyRotation: true,
      deletionWindowInDays: p.deletionWindowDays,
      policy: policy.json,
    });
    applyRemovalPolicy(p.removalPolicy as RemovalPolicy, this.key);
    this.keyArn = this.key.arn;
    if (p.alias) this.alias = new KmsAlias(this, 'Alias', { name: `alias/${p.alias}`, targetKeyId: this.key.keyId });
  }
}
