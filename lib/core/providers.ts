import type { Construct } from 'constructs';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TerraformStack } from './cdktf';

/**
 * Makes sure the stack of `scope` has a `random` provider, which generated
 * passwords need. Added once per stack, at the stack root with a fixed id, so
 * its address does not depend on which construct asked first.
 */
export function ensureRandomProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const hasOne = stack.node.findAll().some((c) => c instanceof RandomProvider);
  if (!hasOne) new RandomProvider(stack, 'RandomProvider');
}
