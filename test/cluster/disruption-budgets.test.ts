import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { MlopsNamespace } from '../../lib/cluster/mlops-namespace';
import { DisruptionBudgets } from '../../lib/cluster/disruption-budgets';
import { resourcesOf, synthStack } from '../../lib/testing';
import { addClusterProviders } from '../support/providers';

const modelLabels = (name: string) => ({
  'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'mlops', 'app.kubernetes.io/component': 'model-server',
  'app.kubernetes.io/part-of': 'cdktf-mlops', 'app.kubernetes.io/managed-by': 'cdktf', 'mlops.cdktf.io/model': name,
});
const modelSelector = (name: string) => ({
  'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'mlops', 'app.kubernetes.io/component': 'model-server', 'mlops.cdktf.io/model': name,
});

function budgets(add: (b: DisruptionBudgets, stack: Construct) => void) {
  const { json } = synthStack((stack) => {
    addClusterProviders(stack);
    const ns = new MlopsNamespace(stack, 'Ns', { name: 'mlops' });
    add(DisruptionBudgets.of(ns), stack);
  });
  const releases = Object.values(resourcesOf(json, 'helm_release')) as any[];
  expect(releases).toHaveLength(1);
  return { release: releases[0], values: releases[0].values[0] as string };
}

describe('DisruptionBudgets', () => {
  it('is one release per namespace, whichever workload asks first', () => {
    const { release, values } = budgets((b, stack) => {
      b.add(new Construct(stack, 'A'), { name: 'a', labels: modelLabels('a'), selector: modelSelector('a') });
      b.add(new Construct(stack, 'B'), { name: 'b', labels: modelLabels('b'), selector: modelSelector('b'), maxUnavailable: 2 });
      b.add(new Construct(stack, 'C'), { name: 'c', labels: modelLabels('c'), selector: modelSelector('c') });
    });
    expect(release.name).toBe('mlops-disruption-budgets');
    // Alike budgets share a group: only the names are listed, the labels holding the name are named once.
    expect(JSON.parse(values).groups).toEqual([
      {
        names: ['a', 'c'], suffix: '-pdb', maxUnavailable: 1,
        labels: { 'app.kubernetes.io/component': 'model-server', 'app.kubernetes.io/instance': 'mlops', 'app.kubernetes.io/managed-by': 'cdktf', 'app.kubernetes.io/part-of': 'cdktf-mlops' },
        selector: { 'app.kubernetes.io/component': 'model-server', 'app.kubernetes.io/instance': 'mlops' },
        nameLabels: ['app.kubernetes.io/name', 'mlops.cdktf.io/model'],
        nameSelector: ['app.kubernetes.io/name', 'mlops.cdktf.io/model'],
      },
      expect.objectContaining({ names: ['b'], maxUnavailable: 2 }),
    ]);
  });

  it('keeps the values of a thousand models with the longest names far below Helm\'s and Kubernetes\' limits', () => {
    const { values } = budgets((b, stack) => {
      for (let i = 0; i < 1000; i++) {
        const name = `model-${String(i).padStart(4, '0')}-`.padEnd(63, 'x');
        b.add(new Construct(stack, `M${i}`), { name, labels: modelLabels(name), selector: modelSelector(name) });
      }
    });
    expect(JSON.parse(values).groups).toHaveLength(1);
    expect(values.length).toBeLessThan(80 * 1024);
  });

  it('rejects an empty selector, naming the field', () => {
    expect(() => budgets((b, stack) => b.add(new Construct(stack, 'Bad'), { name: 'bad', labels: {}, selector: {} })))
      .toThrow(/test\/Bad:\n {2}- selector: .*must not be empty/);
  });
});
