import type { Construct } from 'constructs';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { TerraformStack, Token } from '../core/cdktf';

/**
 * How the EKS Pod Identity Agent add-on, which every pod identity association needs, gets onto the cluster.
 * - `create`: this stack installs it (`aws_eks_addon` `eks-pod-identity-agent`).
 * - `existing`: the cluster already has it (eksctl and the terraform-aws-eks module often add it);
 *   creating it again would fail with "Addon already exists".
 */
export type PodIdentityAgentMode = 'create' | 'existing';

/**
 * The agent add-on of a cluster, created once per stack and cluster whoever asks first (the platform's
 * {@link AwsPodIdentity} and the External Secrets Operator both need it), or undefined when the cluster
 * already has it. Associations depend on it, so no pod starts before the agent can hand out credentials.
 */
export function podIdentityAgent(scope: Construct, clusterName: string, mode: PodIdentityAgentMode): EksAddon | undefined {
  if (mode === 'existing') return undefined;
  const stack = TerraformStack.of(scope);
  const id = Token.isUnresolved(clusterName) ? 'EksPodIdentityAgent' : `EksPodIdentityAgent-${clusterName}`;
  const existing = stack.node.tryFindChild(id);
  if (existing instanceof EksAddon) return existing;
  return new EksAddon(stack, id, {
    clusterName,
    addonName: 'eks-pod-identity-agent',
    // An agent someone configured by hand is taken over rather than failing the apply.
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'PRESERVE',
  });
}
