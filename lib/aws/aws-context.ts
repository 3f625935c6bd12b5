import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { TerraformStack } from '../core/cdktf';

/**
 * Account, partition and region of the stack's AWS provider, read once per
 * stack. Data sources are resolved at plan time, so synth needs no credentials.
 */
export interface AwsContext {
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  /** `arn:<partition>:iam::<account>:root`, the only principal a key policy grants `kms:*`. */
  readonly rootArn: string;
}

const CONTEXT_ID = 'MlopsAwsContext';

/** The stack-wide {@link AwsContext}, created on first use. */
export function awsContext(scope: Construct): AwsContext {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(CONTEXT_ID) as AwsContextHolder | undefined;
  if (existing) return existing.context;
  return new AwsContextHolder(stack).context;
}

class AwsContextHolder extends Construct {
  public readonly context: AwsContext;
  constructor(stack: TerraformStack) {
    super(stack, CONTEXT_ID);
    const caller = new DataAwsCallerIdentity(this, 'Caller');
    const partition = new DataAwsPartition(this, 'Partition');
    const region = new DataAwsRegion(this, 'Region');
    this.context = {
      accountId: caller.accountId,
      partition: partition.partition,
      region: region.region,
      rootArn: `arn:${partition.partition}:iam::${caller.accountId}:root`,
    };
  }
}

/**
 * An IAM policy document as an `aws_iam_policy_document` data source, so the
 * statements are readable in `cdk.tf.json` by reviewers and scanners.
 */
export function policyDocument(scope: Construct, id: string, statements: DataAwsIamPolicyDocumentStatement[]): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, { version: '2012-10-17', statement: statements });
}

/** Trust policy statement for EKS Pod Identity. */
export const POD_IDENTITY_TRUST: DataAwsIamPolicyDocumentStatement = {
  sid: 'EksPodIdentity',
  effect: 'Allow',
  actions: ['sts:AssumeRole', 'sts:TagSession'],
  principals: [{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }],
};
