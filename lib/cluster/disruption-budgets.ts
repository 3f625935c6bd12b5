import { Construct, type IConstruct } from 'constructs';
import { z } from 'zod';
import { Release } from '@cdktf/provider-helm/lib/release';
import { localChart } from '../core/assets';
import { lazyLiteralString } from '../core/literal';
import { claimKubernetesName } from '../core/names';
import type { INamespace } from '../core/network';
import { parseProps } from '../core/props';
import { k8sName, labelsSchema, positiveInt } from '../core/validators';

/** A PodDisruptionBudget that {@link DisruptionBudgets} renders. */
export interface DisruptionBudgetOptions {
  /** Name of the workload; the budget is named `<name>-pdb`. */
  readonly name: string;
  /** Object labels of the budget. */
  readonly labels: Record<string, string>;
  /** Labels selecting the pods the budget protects. */
  readonly selector: Record<string, string>;
  /**
   * Pods of the selection that a voluntary disruption (a node drain) may take down at once.
   * @default 1
   */
  readonly maxUnavailable?: number;
}

const optionsSchema = z.strictObject({
  name: k8sName,
  labels: labelsSchema,
  selector: labelsSchema.refine((s) => Object.keys(s).length > 0, { message: 'must not be empty (it would select every pod of the namespace)' }),
  maxUnavailable: positiveInt.default(1),
});

/** Name suffix of every budget, so a budget never shares a name with the Deployment it protects. */
const SUFFIX = '-pdb';

/** Budgets alike but for the workload name, as the chart's values carry them (see the chart's values.yaml). */
interface BudgetGroup {
  names: string[];
  suffix: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  nameLabels: string[];
  nameSelector: string[];
  maxUnavailable: number;
}

/**
 * The PodDisruptionBudgets of one namespace, rendered by one release of the
 * local chart `disruption-budgets`, with `unhealthyPodEvictionPolicy:
 * AlwaysAllow`: pods that are Running but not Ready (a model before its first
 * registered version) may always be evicted, so they never block a node drain.
 * The Terraform kubernetes provider's budget resource (2.38) has no such field,
 * hence the chart. Created by the first workload that asks, as a child of the
 * namespace construct with id `DisruptionBudgets`, so its address does not
 * depend on which workload came first. The values list the budgets compactly
 * (budgets alike but for the name share one group), so a thousand models stay
 * far below Helm's and Kubernetes' size limits.
 */
export class DisruptionBudgets extends Construct {
  /** The budgets of `namespace`, created on first use. */
  public static of(namespace: INamespace): DisruptionBudgets {
    const existing = namespace.node.tryFindChild('DisruptionBudgets');
    if (existing instanceof DisruptionBudgets) return existing;
    return new DisruptionBudgets(namespace, 'DisruptionBudgets', namespace);
  }

  /** The release rendering the budgets. */
  public readonly release: Release;
  private readonly namespaceName: string;
  private readonly budgets: z.output<typeof optionsSchema>[] = [];

  private constructor(scope: IConstruct, id: string, namespace: INamespace) {
    super(scope, id);
    this.namespaceName = namespace.literalName;
    this.release = new Release(this, 'Resource', {
      name: 'mlops-disruption-budgets',
      chart: localChart(this, 'Chart', 'cluster', 'disruption-budgets'),
      namespace: namespace.name, // the reference orders it after the namespace
      atomic: true,
      cleanupOnFail: true,
      values: [lazyLiteralString(() => JSON.stringify({ groups: this.groups() }))],
    });
  }

  /**
   * Adds the budget of `owner`'s workload and returns its name (`<name>-pdb`).
   * Fails if another construct already added a budget of that name in this namespace.
   */
  public add(owner: Construct, options: DisruptionBudgetOptions): string {
    const o = parseProps(optionsSchema, options, owner);
    const name = `${o.name}${SUFFIX}`;
    claimKubernetesName(owner, 'name', 'PodDisruptionBudget', this.namespaceName, name);
    this.budgets.push(o);
    return name;
  }

  /** Budgets that differ only in their name (and the labels holding it) in one group, in the order added. */
  private groups(): BudgetGroup[] {
    const groups = new Map<string, BudgetGroup>();
    for (const b of this.budgets) {
      const nameLabels = Object.keys(b.labels).filter((k) => b.labels[k] === b.name).sort();
      const nameSelector = Object.keys(b.selector).filter((k) => b.selector[k] === b.name).sort();
      const labels = without(b.labels, nameLabels);
      const selector = without(b.selector, nameSelector);
      const key = JSON.stringify([labels, selector, nameLabels, nameSelector, b.maxUnavailable]);
      const group = groups.get(key);
      if (group) group.names.push(b.name);
      else groups.set(key, { names: [b.name], suffix: SUFFIX, labels, selector, nameLabels, nameSelector, maxUnavailable: b.maxUnavailable });
    }
    return [...groups.values()];
  }
}

function without(map: Record<string, string>, keys: string[]): Record<string, string> {
  const sorted = Object.keys(map).filter((k) => !keys.includes(k)).sort();
  return Object.fromEntries(sorted.map((k) => [k, map[k]!]));
}
