import type { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';

/**
 * The kubernetes and helm providers a stack of lone constructs needs: without them cdktf's synth
 * validation (on in synthStack, as in `cdktf synth`) rejects the stack, as it would a user's.
 */
export function addClusterProviders(stack: Construct): void {
  new KubernetesProvider(stack, 'kubernetes', {});
  new HelmProvider(stack, 'helm', {});
}
