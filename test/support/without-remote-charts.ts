import type { IConstruct } from 'constructs';
import { Release } from '@cdktf/provider-helm/lib/release';
import { Aspects, TerraformResource, TerraformStack, Tokenization, type IAspect } from '../../lib/core/cdktf';

/**
 * TEST-ONLY: turns off (`count = 0`) every `helm_release` of a remote chart, which cannot be pulled
 * offline (kube-prometheus-stack, the Pushgateway, External Secrets), and every resource that depends
 * on one of them (e.g. the objectives charts, whose PrometheusRules need kube-prometheus-stack's
 * CRDs). The rest of the stack keeps its addresses, so apply, plan and destroy see it as users do.
 * A dependent whose address `keep` accepts stays on, with its depends_on on turned-off releases
 * dropped: for a chart whose objects only need CRDs that the test installs itself.
 * Returns the addresses it turned off, known once the stack has been synthesized.
 */
export function withoutRemoteCharts(stack: TerraformStack, keep: (address: string) => boolean = () => false): string[] {
  const off: string[] = [];
  Aspects.of(stack).add(new WithoutRemoteCharts(off, keep));
  return off;
}

class WithoutRemoteCharts implements IAspect {
  constructor(
    private readonly off: string[],
    private readonly keep: (address: string) => boolean,
  ) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    const resources = node.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);
    const address = (r: TerraformResource) => `${r.terraformResourceType}.${node.getLogicalId(r)}`;
    const off = new Set<IConstruct>(resources.filter((r) => r instanceof Release && r.repositoryInput !== undefined));
    // Each dependsOn entry is a token wrapping the construct it names.
    const dependencies = (r: TerraformResource) =>
      (r.dependsOn ?? []).flatMap((d) => Tokenization.reverseString(d).tokens.map((t) => (t as { dependable?: IConstruct }).dependable));
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of resources) {
        if (off.has(r) || !dependencies(r).some((d) => d !== undefined && off.has(d))) continue;
        if (this.keep(address(r))) {
          r.dependsOn = (r.dependsOn ?? []).filter((d) => !Tokenization.reverseString(d).tokens.some((t) => off.has((t as { dependable?: IConstruct }).dependable!)));
        } else {
          off.add(r);
          grew = true;
        }
      }
    }
    for (const r of resources.filter((x) => off.has(x))) {
      r.count = 0;
      this.off.push(address(r));
    }
  }
}
