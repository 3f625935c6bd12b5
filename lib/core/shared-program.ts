import { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { standardLabels } from './labels';

/** What a workload asks for: which program, and its files as shipped in the package. */
export interface SharedProgramOptions {
  /** Kebab-case program name, e.g. `drift-check`; the ConfigMap is `mlops-program-<program>`. */
  readonly program: string;
  /** Namespace of the ConfigMap (a reference to the namespace resource orders the apply). */
  readonly namespace: string;
  /** The files, read once when the ConfigMap is first created. */
  readonly files: () => Record<string, string>;
}

/**
 * A program the library ships to pods (drift check, promotion gate, serving
 * wrapper), once per namespace: one ConfigMap that every workload of the
 * namespace mounts, instead of a copy per workload in the Terraform JSON and
 * state. Created by the first workload that asks, as a child of the namespace
 * construct with id `Program-<program>`, so its address does not depend on
 * which workload came first.
 */
export class SharedProgram extends Construct {
  /** The ConfigMap or, on first use, creates it under `namespaceScope`. */
  public static of(namespaceScope: Construct, o: SharedProgramOptions): ConfigMapV1 {
    const id = `Program-${o.program}`;
    const existing = namespaceScope.node.tryFindChild(id);
    if (existing instanceof SharedProgram) return existing.configMap;
    return new SharedProgram(namespaceScope, id, o).configMap;
  }

  public readonly configMap: ConfigMapV1;

  private constructor(scope: Construct, id: string, o: SharedProgramOptions) {
    super(scope, id);
    this.configMap = new ConfigMapV1(this, 'Resource', {
      metadata: {
        name: `mlops-program-${o.program}`,
        namespace: o.namespace,
        labels: standardLabels({ name: 'mlops-program', instance: o.program, component: 'program' }),
      },
      data: o.files(),
    });
  }
}
