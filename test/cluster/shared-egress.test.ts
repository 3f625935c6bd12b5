import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { MlopsNamespace, openEgress } from '../../lib/cluster/mlops-namespace';
import type { EgressTarget, INamespace } from '../../lib/core/network';
import { resourcesOf, synthStack } from '../../lib/testing';
import { addClusterProviders } from '../support/providers';

const PUSHGATEWAY: EgressTarget = { name: 'pushgateway', to: [{ namespace: 'monitoring' }], ports: [{ port: 9091 }] };
const WAREHOUSE: EgressTarget = { name: 'warehouse', to: [{ cidr: '10.20.0.0/16' }], ports: [{ port: 5432 }] };

const policies = (json: any) => Object.values(resourcesOf(json, 'kubernetes_network_policy_v1')).filter((p: any) => p.metadata.name.endsWith('-egress')) as any[];

describe('MlopsNamespace.sharedEgress and openEgress', () => {
  it('makes one policy per target however many workloads open it, and a label that selects it', () => {
    let labels: Record<string, string>[] = [];
    const { json } = synthStack((stack) => {
      addClusterProviders(stack);
      const ns = new MlopsNamespace(stack, 'Ns', { name: 'mlops' });
      labels = ['a', 'b', 'c'].map((w) => openEgress(ns, new Construct(stack, w), w, { app: w }, [PUSHGATEWAY, WAREHOUSE]).podLabels);
    });
    expect(policies(json).map((p) => p.metadata.name).sort()).toEqual(['allow-pushgateway-egress', 'allow-warehouse-egress']);
    for (const l of labels) expect(l).toEqual({ 'egress.mlops.cdktf.io/pushgateway': 'allow', 'egress.mlops.cdktf.io/warehouse': 'allow' });
    const pushgateway = policies(json).find((p) => p.metadata.name === 'allow-pushgateway-egress');
    expect(pushgateway.spec.pod_selector.match_labels).toEqual({ 'egress.mlops.cdktf.io/pushgateway': 'allow' });
    expect(pushgateway.spec.egress).toEqual([
      { to: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } }, pod_selector: {} }], ports: [{ port: '9091', protocol: 'TCP' }] },
    ]);
  });

  it('gives a target of the same name with other peers a policy and label of its own', () => {
    let second: Record<string, string> = {};
    const { json } = synthStack((stack) => {
      addClusterProviders(stack);
      const ns = new MlopsNamespace(stack, 'Ns', { name: 'mlops' });
      openEgress(ns, new Construct(stack, 'A'), 'a', { app: 'a' }, [WAREHOUSE]);
      second = openEgress(ns, new Construct(stack, 'B'), 'b', { app: 'b' }, [{ ...WAREHOUSE, to: [{ cidr: '10.30.0.0/16' }] }]).podLabels;
    });
    const [key] = Object.keys(second);
    expect(key).toMatch(/^egress\.mlops\.cdktf\.io\/warehouse-[0-9a-f]{8}$/);
    const own = policies(json).find((p) => p.spec.pod_selector.match_labels[key!] === 'allow');
    expect(own.spec.egress[0].to).toEqual([{ ip_block: { cidr: '10.30.0.0/16' } }]);
    expect(policies(json)).toHaveLength(2);
  });

  it('falls back to policies of the workload\'s own, selecting its pod labels, for a namespace without sharedEgress', () => {
    let opened: ReturnType<typeof openEgress> | undefined;
    const { json } = synthStack((stack) => {
      addClusterProviders(stack);
      const ns = new MlopsNamespace(stack, 'Ns', { name: 'mlops' });
      // A custom INamespace of a company repo that predates sharedEgress.
      const custom: INamespace = {
        node: ns.node, name: ns.name, literalName: ns.literalName, podSecurity: ns.podSecurity,
        allowIngress: ns.allowIngress.bind(ns), allowEgress: ns.allowEgress.bind(ns),
      };
      opened = openEgress(custom, new Construct(stack, 'A'), 'a', { app: 'a' }, [PUSHGATEWAY]);
    });
    expect(opened!.podLabels).toEqual({});
    expect(policies(json).map((p) => [p.metadata.name, p.spec.pod_selector.match_labels])).toEqual([['a-pushgateway-egress', { app: 'a' }]]);
  });
});
