import { Construct } from 'constructs';
import { z } from 'zod';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { parseProps } from '../core/props';

/**
 * The Kubernetes and Helm providers the platform's resources use. Satisfied by
 * {@link KubeconfigConnection}, `EksClusterConnection`, or a plain object with
 * providers you configured yourself.
 *
 * The platform's resources use the stack's default (un-aliased) providers; put
 * platforms for different clusters in different stacks.
 */
export interface IClusterConnection {
  readonly kubernetesProvider: KubernetesProvider;
  readonly helmProvider: HelmProvider;
}

/** Properties of a {@link KubeconfigConnection}. */
export interface KubeconfigConnectionProps {
  /**
   * Path of the kubeconfig file.
   * @default '~/.kube/config'
   */
  readonly configPath?: string;
  /**
   * Context in the kubeconfig.
   * @default - the file's current context
   */
  readonly context?: string;
}

const schema = z.strictObject({
  configPath: z.string().min(1).default('~/.kube/config'),
  context: z.string().min(1).optional(),
});

/** Connects to a cluster through a kubeconfig file and context (kind, minikube, any cluster). */
export class KubeconfigConnection extends Construct implements IClusterConnection {
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly helmProvider: HelmProvider;

  constructor(scope: Construct, id: string, props: KubeconfigConnectionProps = {}) {
    super(scope, id);
    const p = parseProps(schema, props, this);
    this.kubernetesProvider = new KubernetesProvider(this, 'Kubernetes', {
      configPath: p.configPath,
      configContext: p.context,
    });
    this.helmProvider = new HelmProvider(this, 'Helm', {
      kubernetes: { configPath: p.configPath, configContext: p.context },
    });
  }
}

/** The props' zod schema, composed by the platform spec (lib/spec/spec-schema.ts). @internal */
export const kubeconfigConnectionSchema = schema;
