import type { Construct } from 'constructs';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { Password } from '@cdktf/provider-random/lib/password';
import { TerraformStack } from './cdktf';

/** The construct id of the stack-level random provider. */
const RANDOM_PROVIDER_ID = 'RandomProvider';

/**
 * Makes sure the stack of `scope` has a `random` provider, which generated
 * passwords need. Added once per stack, at the stack root with a fixed id, so
 * its address does not depend on which construct asked first. A provider the
 * user created elsewhere in the stack is reused.
 */
export function ensureRandomProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  if (stack.node.tryFindChild(RANDOM_PROVIDER_ID)) return;
  const hasOne = stack.node.findAll().some((c) => c instanceof RandomProvider);
  if (!hasOne) new RandomProvider(stack, RANDOM_PROVIDER_ID);
}

/**
 * A generated password (`random_password`): its value lives in Terraform state
 * only. The one way the library creates random resources, so none can exist
 * without the provider it needs (cdktf's synth validation rejects a resource
 * without a matching provider construct).
 */
export function generatedPassword(scope: Construct, id: string, length: number): Password {
  ensureRandomProvider(scope);
  return new Password(scope, id, { length, special: false });
}
