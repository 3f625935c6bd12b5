import { z } from 'zod';
import type { TerraformResource } from './cdktf';

/**
 * What happens to a stateful resource (bucket, database, volume) when it is
 * removed from the stack or the stack is destroyed.
 * - `retain`: Terraform refuses to destroy it (`lifecycle.prevent_destroy`); remove the
 *   protection deliberately, in its own change, before deleting data.
 * - `destroy`: it is deleted with the stack (throwaway environments only).
 */
export type RemovalPolicy = 'retain' | 'destroy';

/** @internal */
export const removalPolicySchema = z.enum(['retain', 'destroy']);

/** Applies a removal policy to stateful resources. */
export function applyRemovalPolicy(policy: RemovalPolicy, ...resources: TerraformResource[]): void {
  for (const r of resources) {
    r.lifecycle = { ...(r.lifecycle ?? {}), preventDestroy: policy === 'retain' };
  }
}
